"""A local pg_auto_failover formation: one monitor and two PostgreSQL 15 nodes on loopback ports, for trying
high availability on one machine (`sessionkeeper ha up` / `ha down`) and for the failover test.

Everything lives in one folder: the monitor's and the nodes' data folders, pg_autoctl's configuration and state
(XDG_CONFIG_HOME and XDG_DATA_HOME point inside it), each `pg_autoctl run`'s log, and formation.json (the ports
and the pids of the keepers). As with the embedded cluster, the servers run as the unprivileged ``postgres``
account when this runs as root.

Connections are trusted, and the servers listen on 127.0.0.1 only, without TLS: a formation to try things on one
machine, never one to put on a network. The first node is initialised here (initdb) with pg_cron preloaded and
``cron.database_name`` set before pg_autoctl takes it over; the second is a base backup of the first, so it
inherits those settings. pg_autoctl's own settings (postgresql-auto-failover.conf, included from
postgresql.conf) come first in the file; the lines added here, after them, win.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import psycopg

from runner.cluster import ServerAccount, postgres_bindir
from runner.errors import SessionkeeperError
from runner.scratch import free_loopback_port

PG_AUTOCTL = "pg_autoctl"
DEBIAN_PACKAGE = "postgresql-15-auto-failover"
DBNAME = "sessionkeeper"
STATE_FILE = "formation.json"
NODES = ("node1", "node2")
MONITOR = "monitor"
UP_TIMEOUT_SECONDS = 180.0
STOP_TIMEOUT_SECONDS = 30.0
POLL_SECONDS = 0.5

# The monitor notices a dead node in about 5 s instead of about 20 (health checks every second; a node is
# unhealthy 5 s after its last report): on loopback there is no network to be patient with. The wait for the old
# primary to acknowledge its demotion (primary_demote_timeout, 30 s), the guard against two primaries, stays.
MONITOR_SETTINGS = """
# --- added by sessionkeeper ha up ---
pgautofailover.health_check_period = '1s'
pgautofailover.health_check_timeout = '1s'
pgautofailover.health_check_retry_delay = '500ms'
pgautofailover.node_considered_unhealthy_timeout = '5s'
"""

NODE_SETTINGS = f"""
# --- added by sessionkeeper ha up ---
listen_addresses = '127.0.0.1'
shared_preload_libraries = 'pg_cron'
cron.database_name = '{DBNAME}'
cron.use_background_workers = on
max_worker_processes = 32
max_connections = 200
shared_buffers = '128MB'
timezone = 'UTC'
log_timezone = 'UTC'
"""


@dataclass(frozen=True)
class Ports:
    monitor: int
    node1: int
    node2: int


@dataclass(frozen=True)
class NodeState:
    name: str
    port: int
    reported: str
    assigned: str


class Formation:
    """The formation in ``folder``: what `ha up` starts and `ha down` removes."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder).resolve()
        self.account = ServerAccount.for_current_user()
        self._started: list[subprocess.Popen] = []  # the keepers this object started, watched while waiting

    # ---- what it is -------------------------------------------------------------------------
    @property
    def state_file(self) -> Path:
        return self.folder / STATE_FILE

    def data_dir(self, name: str) -> Path:
        return self.folder / name

    def ports(self) -> Ports:
        try:
            return Ports(**json.loads(self.state_file.read_text())["ports"])
        except (FileNotFoundError, KeyError, TypeError, ValueError):
            raise SessionkeeperError(f"no formation in {self.folder} (start one: sessionkeeper ha up)") from None

    def url(self) -> str:
        """The multi-host URL the commands use: libpq tries both nodes and keeps the one that accepts writes."""
        ports = self.ports()
        hosts = f"127.0.0.1:{ports.node1},127.0.0.1:{ports.node2}"
        return f"postgresql://postgres@{hosts}/{DBNAME}?target_session_attrs=read-write"

    def node_url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{getattr(self.ports(), name)}/{DBNAME}"

    def monitor_url(self) -> str:
        return f"postgresql://autoctl_node@127.0.0.1:{self.ports().monitor}/pg_auto_failover?sslmode=disable"

    def postmaster_pid(self, name: str) -> int | None:
        """The pid in ``name``'s postmaster.pid (first line), None without one."""
        try:
            return int((self.data_dir(name) / "postmaster.pid").read_text().splitlines()[0])
        except (FileNotFoundError, IndexError, ValueError):
            return None

    def states(self) -> list[NodeState]:
        """The data nodes as the monitor sees them (pgautofailover.node), empty while it cannot answer."""
        try:
            with psycopg.connect(self.monitor_url(), connect_timeout=5) as conn:
                rows = conn.execute(
                    "SELECT nodename, nodeport, reportedstate::text, goalstate::text FROM pgautofailover.node "
                    "ORDER BY nodeid"
                ).fetchall()
        except psycopg.Error:
            return []
        return [NodeState(*row) for row in rows]

    def primary(self) -> str | None:
        """The node the monitor has settled as primary (reported and assigned alike), else None."""
        for node in self.states():
            if node.reported == node.assigned and node.reported in ("primary", "wait_primary", "single"):
                return node.name
        return None

    def is_settled(self) -> bool:
        """A primary and a secondary, each in the state the monitor assigned."""
        reported = sorted((node.reported, node.assigned) for node in self.states())
        return reported == [("primary", "primary"), ("secondary", "secondary")]

    def running_processes(self) -> list[int]:
        """Pids of every process working in the folder: the keepers run there and PostgreSQL's processes in their
        data folders (the backends of a killed postmaster included)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cwd = os.readlink(entry / "cwd")
            except OSError:
                continue
            # A folder removed under a process reads "PATH (deleted)".
            if cwd.removesuffix(" (deleted)") == str(self.folder) or cwd.startswith(f"{self.folder}/"):
                pids.append(int(entry.name))
        return pids

    # ---- what it does -----------------------------------------------------------------------
    def up(self, say: Callable[[str], None] = print, timeout: float = UP_TIMEOUT_SECONDS) -> str:
        """Start the monitor and both nodes, wait for a primary and a secondary; the multi-host URL."""
        require_pg_autoctl()
        if self.state_file.exists():
            if self.running_processes():
                say(f"already running in {self.folder}")
                return self.url()
            raise SessionkeeperError(
                f"{self.folder} holds a formation that is not running; remove it first: sessionkeeper ha down "
                f"--dir {self.folder}"
            )
        self._make_folder()
        ports = Ports(free_loopback_port(), free_loopback_port(), free_loopback_port())
        self._write_state(ports, keepers={})
        try:
            self._create_monitor(ports.monitor)
            keepers = {MONITOR: self._run_keeper(MONITOR, ["run", "--pgdata", str(self.data_dir(MONITOR))])}
            self._write_state(ports, keepers)
            self._wait(lambda: self._monitor_ready(), "the monitor to accept connections", timeout)
            self._initdb_first_node()
            for name in NODES:
                keepers[name] = self._run_keeper(name, self._create_node_args(name, getattr(ports, name)))
                self._write_state(ports, keepers)
                if name == NODES[0]:
                    self._wait(lambda: self.primary() == NODES[0], "the first node to run alone", timeout)
            say("waiting for the second node to copy the first and follow it")
            self._wait(self._settled_nudging_checkpoint, "a primary and a secondary", timeout)
        except BaseException:
            self.down(say=lambda line: None)
            raise
        return self.url()

    def down(self, say: Callable[[str], None] = print) -> bool:
        """Stop every process of the formation and delete its folder; False when there was nothing there."""
        if not self.folder.exists():
            return False
        if not self.state_file.exists():  # written first thing by up: without it, this is not ours to delete
            raise SessionkeeperError(f"{self.folder} does not hold a formation made by sessionkeeper ha up; left alone")
        keepers = self.keepers()
        for pid in keepers.values():
            _signal_group(pid, signal.SIGTERM)
        self._wait_until_gone(STOP_TIMEOUT_SECONDS)
        leftovers = self.running_processes()
        if leftovers:
            say(f"{len(leftovers)} processes did not stop in {STOP_TIMEOUT_SECONDS:g} s: killing them")
            for pid in keepers.values():
                _signal_group(pid, signal.SIGKILL)
            for pid in leftovers:
                _signal(pid, signal.SIGKILL)
            self._wait_until_gone(STOP_TIMEOUT_SECONDS)
        _remove_tree(self.folder)
        return True

    # ---- helpers ----------------------------------------------------------------------------
    def _make_folder(self) -> None:
        created = not self.folder.exists()
        self.folder.mkdir(parents=True, exist_ok=True)
        if any(self.folder.iterdir()):
            raise SessionkeeperError(f"{self.folder} is not empty: give ha up an empty or new folder (--dir)")
        os.chown(self.folder, self.account.uid, self.account.gid)
        self.folder.chmod(0o700)
        if self.account.is_other_user:
            probe = self._as_server(["test", "-w", str(self.folder)], check=False)
            if probe.returncode != 0:
                if created:
                    self.folder.rmdir()
                raise SessionkeeperError(
                    f"the `{self.account.name}` account cannot reach {self.folder}: the servers run as that account "
                    "when started by root; choose a folder it can reach with --dir"
                )

    def _write_state(self, ports: Ports, keepers: dict[str, int]) -> None:
        self.state_file.write_text(json.dumps({"ports": asdict(ports), "keepers": keepers}, indent=2) + "\n")

    def keepers(self) -> dict[str, int]:
        """The pid of each `pg_autoctl run` started here (each leads a process group of its own)."""
        try:
            return {name: int(pid) for name, pid in json.loads(self.state_file.read_text())["keepers"].items()}
        except (FileNotFoundError, KeyError, TypeError, ValueError, AttributeError):
            return {}

    def _environment(self) -> dict[str, str]:
        """pg_autoctl keeps its configuration and state under XDG folders: inside the formation's folder."""
        env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        env.update(
            HOME=str(self.folder),
            XDG_CONFIG_HOME=str(self.folder / "config"),
            XDG_DATA_HOME=str(self.folder / "share"),
            PATH=f"{postgres_bindir()}:{env.get('PATH', '/usr/bin:/bin')}",
            LC_ALL="C.UTF-8",
        )
        return env

    def _server_kwargs(self) -> dict:
        if self.account.is_other_user:
            return {"user": self.account.uid, "group": self.account.gid, "extra_groups": []}
        return {}

    def _as_server(self, command: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            cwd=self.folder,
            env=self._environment(),
            check=False,
            **self._server_kwargs(),
        )
        if check and result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            raise SessionkeeperError(f"{' '.join(command[:3])} failed: {detail[-1] if detail else result.returncode}")
        return result

    def _common_args(self, port: int) -> list[str]:
        return [
            "--pgport",
            str(port),
            "--hostname",
            "127.0.0.1",
            "--auth",
            "trust",
            "--no-ssl",
            "--pgctl",
            str(postgres_bindir() / "pg_ctl"),
        ]

    def _create_monitor(self, port: int) -> None:
        data_dir = str(self.data_dir(MONITOR))
        self._as_server([PG_AUTOCTL, "create", "monitor", "--pgdata", data_dir, *self._common_args(port)])
        with open(self.data_dir(MONITOR) / "postgresql.conf", "a") as conf:
            conf.write(MONITOR_SETTINGS)

    def _create_node_args(self, name: str, port: int) -> list[str]:
        return [
            "create",
            "postgres",
            "--pgdata",
            str(self.data_dir(name)),
            *self._common_args(port),
            "--listen",
            "127.0.0.1",
            "--monitor",
            self.monitor_url(),
            "--dbname",
            DBNAME,
            "--name",
            name,
            "--run",
        ]

    def _initdb_first_node(self) -> None:
        data_dir = self.data_dir(NODES[0])
        self._as_server(
            [
                str(postgres_bindir() / "initdb"),
                "--pgdata",
                str(data_dir),
                "--username",
                "postgres",
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--locale",
                "C.UTF-8",
                "--no-instructions",
            ]
        )
        with open(data_dir / "postgresql.conf", "a") as conf:
            conf.write(NODE_SETTINGS)

    def _run_keeper(self, name: str, args: list[str]) -> int:
        """Start `pg_autoctl ARGS` in a session of its own, logging to NAME.log; it outlives this process."""
        with open(self.folder / f"{name}.log", "ab") as log:
            process = subprocess.Popen(
                [PG_AUTOCTL, *args],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.folder,
                env=self._environment(),
                start_new_session=True,
                **self._server_kwargs(),
            )
        self._started.append(process)
        return process.pid

    def _monitor_ready(self) -> bool:
        try:
            psycopg.connect(self.monitor_url(), connect_timeout=2).close()
        except psycopg.Error:
            return False
        return True

    def _settled_nudging_checkpoint(self) -> bool:
        """Settled yet? Meanwhile ask the primary for a checkpoint: the second node's base backup starts with one,
        which an idle server would otherwise spread over minutes."""
        if self.is_settled():
            return True
        try:
            with psycopg.connect(self.node_url(NODES[0]), autocommit=True, connect_timeout=2) as conn:
                conn.execute("CHECKPOINT")
        except psycopg.Error:
            pass
        return False

    def _wait(self, condition: Callable[[], bool], what: str, timeout: float) -> None:
        give_up = time.monotonic() + timeout
        while time.monotonic() < give_up:
            if condition():
                return
            for process in self._started:
                if process.poll() is not None:
                    raise SessionkeeperError(f"pg_autoctl exited while waiting for {what}: {self._last_log_line()}")
            time.sleep(POLL_SECONDS)
        raise SessionkeeperError(f"timed out after {timeout:g} s waiting for {what}: {self._last_log_line()}")

    def _last_log_line(self) -> str:
        for log in sorted(self.folder.glob("*.log"), key=lambda path: path.stat().st_mtime, reverse=True):
            for line in reversed(log.read_text(errors="replace").splitlines()):
                if " ERROR " in line or " FATAL " in line or " WARN " in line:
                    return f"{log.name}: {line.strip()}"
        return "no error in the pg_autoctl logs"

    def _wait_until_gone(self, timeout: float) -> None:
        give_up = time.monotonic() + timeout
        while self.running_processes() and time.monotonic() < give_up:
            time.sleep(0.2)


def require_pg_autoctl() -> None:
    if shutil.which(PG_AUTOCTL) is None:
        raise SessionkeeperError(
            f"{PG_AUTOCTL} not found: install the Debian package {DEBIAN_PACKAGE} (make system-deps as root)"
        )


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signum)


def _remove_tree(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    if folder.exists():
        raise SessionkeeperError(f"could not remove {folder}")
