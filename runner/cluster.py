"""The embedded PostgreSQL cluster: one data folder, pg_cron preloaded, loopback only.

PostgreSQL refuses to run as root. When this code runs as root, the cluster belongs to and runs as
the unprivileged ``postgres`` account that Debian's package creates; otherwise it runs as the
current user. The Unix socket lives inside the data folder; TCP listens on 127.0.0.1 only, with a
password generated at initdb time (local socket connections are trusted: the folder is 0700).

The same code starts the throwaway clusters of the test suite and the benchmarks.
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from runner.errors import NotRunning, SessionkeeperError

SUPERUSER = "postgres"
PASSWORD_FILE = "sessionkeeper.password"
LOG_FILE = "server.log"
# Unix socket paths are limited to 107 bytes by the kernel's sockaddr_un.
MAX_SOCKET_PATH = 107
DBNAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def postgres_bindir() -> Path:
    """Where initdb and pg_ctl live: $SESSIONKEEPER_PG_BINDIR, Debian's PostgreSQL 15, or pg_config."""
    candidates = []
    if os.environ.get("SESSIONKEEPER_PG_BINDIR"):
        candidates.append(Path(os.environ["SESSIONKEEPER_PG_BINDIR"]))
    candidates.append(Path("/usr/lib/postgresql/15/bin"))
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if found.returncode == 0:
            candidates.append(Path(found.stdout.strip()))
    for candidate in candidates:
        if (candidate / "initdb").is_file() and (candidate / "pg_ctl").is_file():
            return candidate
    raise SessionkeeperError(
        "PostgreSQL 15 server programs not found (initdb, pg_ctl): run `make deps` as root, "
        "or set SESSIONKEEPER_PG_BINDIR"
    )


@dataclass(frozen=True)
class ServerAccount:
    """The operating-system account the cluster runs as."""

    name: str
    uid: int
    gid: int

    @classmethod
    def for_current_user(cls) -> ServerAccount:
        if os.geteuid() != 0:
            entry = pwd.getpwuid(os.geteuid())
            return cls(entry.pw_name, entry.pw_uid, entry.pw_gid)
        try:
            entry = pwd.getpwnam("postgres")
        except KeyError:
            raise SessionkeeperError(
                "running as root, but there is no unprivileged `postgres` account to run PostgreSQL "
                "(install postgresql-15, which creates it)"
            ) from None
        return cls(entry.pw_name, entry.pw_uid, entry.pw_gid)

    @property
    def is_other_user(self) -> bool:
        return self.uid != os.geteuid()


class Cluster:
    """A PostgreSQL cluster in ``data_dir`` that listens on 127.0.0.1.

    ``port`` is the configured port, the one ``start`` uses; a server already running keeps the port it was started
    with, which ``running_port`` reads and ``url`` uses.
    """

    def __init__(
        self, data_dir: Path, port: int, dbname: str, *, fast: bool = False, simulated_time: bool = False
    ) -> None:
        if not DBNAME_PATTERN.match(dbname):
            raise SessionkeeperError(f"database name {dbname!r} must be a plain identifier (letters, digits, _)")
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.dbname = dbname
        # fast: no fsync, for throwaway test and benchmark clusters only.
        self.fast = fast
        # simulated_time: every session may pass a future p_now (sessionkeeper.simulated_time = on), for throwaway
        # test and benchmark clusters only; never for the embedded database a person works with.
        self.simulated_time = simulated_time
        self.account = ServerAccount.for_current_user()

    # ---- what it is -------------------------------------------------------------------------
    @property
    def pid_file(self) -> Path:
        return self.data_dir / "postmaster.pid"

    @property
    def log_file(self) -> Path:
        return self.data_dir / LOG_FILE

    @property
    def is_initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").is_file()

    def password(self) -> str:
        try:
            return (self.data_dir / PASSWORD_FILE).read_text().strip()
        except FileNotFoundError:
            raise SessionkeeperError(f"{self.data_dir} has no {PASSWORD_FILE}: was it made by sessionkeeper?") from None

    def url(self, dbname: str | None = None) -> str:
        """A libpq URL for the cluster over TCP on loopback, with the generated password: the running server's
        port while it runs (whatever the configuration says now), else the configured one."""
        port = self.running_port() or self.port
        return f"postgresql://{SUPERUSER}:{quote(self.password(), safe='')}@127.0.0.1:{port}/{dbname or self.dbname}"

    def running_port(self) -> int | None:
        """The port the server of this data folder listens on, else None when it is not running.

        A server keeps the port it was started with, so this comes from its postmaster.pid (line 1 the
        postmaster's pid, line 4 its port), not from the configuration. Reading a file, not running pg_ctl,
        keeps it cheap enough for every url().
        """
        lines = self._pid_file_lines()
        if len(lines) < 4:
            return None
        try:
            pid, port = int(lines[0].strip()), int(lines[3].strip())
        except ValueError:
            return None
        if not _is_postgres_process(pid):
            return None
        return port

    def address(self) -> str:
        """Where the server listens, for one-line messages: ``127.0.0.1:PORT``, the running server's port while it
        runs, noting when that differs from the configured port."""
        running = self.running_port()
        if running is None or running == self.port:
            return f"127.0.0.1:{self.port}"
        return f"127.0.0.1:{running} (configured {self.port}, running on {running})"

    def running_pid(self) -> int | None:
        """The postmaster's pid when the server of this data folder is up, else None."""
        if not self.is_initialised:
            return None
        result = self._pg_ctl("status", check=False)
        if result.returncode != 0:
            return None
        pid = self._pid_from_file()
        if pid is None or not _is_postgres_process(pid):
            return None
        return pid

    # ---- what it does -----------------------------------------------------------------------
    def init(self) -> bool:
        """Create the data folder with initdb; False when it already exists."""
        if self.is_initialised:
            return False
        self._check_reachable()
        self._check_socket_path()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if any(self.data_dir.iterdir()):
            raise SessionkeeperError(f"{self.data_dir} exists, is not empty, and is not a PostgreSQL data folder")
        self.data_dir.chmod(0o700)
        os.chown(self.data_dir, self.account.uid, self.account.gid)
        try:
            self._initdb()
        except BaseException:
            # Interrupted (Ctrl-C during a first `make run`) or failed: leave the folder empty, as it was, so the next
            # start initialises it again instead of finding half a cluster.
            self._empty_data_dir()
            raise
        return True

    def _initdb(self) -> None:
        password = secrets.token_urlsafe(24)
        with tempfile.NamedTemporaryFile("w", delete=False, prefix="sk-pw-") as pwfile:
            pwfile.write(password + "\n")
        try:
            os.chown(pwfile.name, self.account.uid, self.account.gid)
            self._run(
                [
                    str(postgres_bindir() / "initdb"),
                    "--pgdata",
                    str(self.data_dir),
                    "--username",
                    SUPERUSER,
                    "--pwfile",
                    pwfile.name,
                    "--auth-local",
                    "trust",
                    "--auth-host",
                    "scram-sha-256",
                    "--encoding",
                    "UTF8",
                    "--locale",
                    "C.UTF-8",
                    "--no-instructions",
                ],
                what="initdb",
                own_group=True,
            )
        finally:
            os.unlink(pwfile.name)
        password_path = self.data_dir / PASSWORD_FILE
        password_path.write_text(password + "\n")
        password_path.chmod(0o600)
        with open(self.data_dir / "postgresql.conf", "a") as conf:
            conf.write(self._settings())

    def _empty_data_dir(self) -> None:
        for entry in self.data_dir.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)

    def start(self) -> bool:
        """Start the server (initialising it first); False when it was already running."""
        self.init()
        if self.running_pid() is not None:
            return False
        self._remove_stale_pid_file()
        self._check_socket_path()
        options = f"-p {self.port} -c cron.database_name={self.dbname}"
        result = self._pg_ctl("start", "-w", "-t", "60", "-l", str(self.log_file), "-o", options, check=False)
        if result.returncode != 0:
            raise SessionkeeperError(f"PostgreSQL did not start: {self._last_log_problem() or result.stderr.strip()}")
        return True

    def stop(self) -> bool:
        """Stop the server (fast shutdown: running transactions roll back); False when it was not running."""
        if self.running_pid() is None:
            return False
        result = self._pg_ctl("stop", "-m", "fast", "-w", "-t", "60", check=False)
        if result.returncode != 0:
            raise SessionkeeperError(f"PostgreSQL did not stop: {result.stderr.strip()}")
        return True

    def require_running(self) -> int:
        pid = self.running_pid()
        if pid is None:
            raise NotRunning(f"the embedded database in {self.data_dir} is not running (start it: sessionkeeper db up)")
        return pid

    def destroy(self) -> None:
        """Stop the server and delete the data folder (throwaway clusters only)."""
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    # ---- helpers ----------------------------------------------------------------------------
    def _settings(self) -> str:
        lines = [
            "",
            "# --- added by sessionkeeper ---",
            "listen_addresses = '127.0.0.1'",
            f"port = {self.port}",
            f"unix_socket_directories = '{self.data_dir}'",
            "unix_socket_permissions = 0700",
            "shared_preload_libraries = 'pg_cron'",
            f"cron.database_name = '{self.dbname}'",
            # Jobs run in background workers, so pg_cron needs no password to connect.
            "cron.use_background_workers = on",
            "max_worker_processes = 32",
            "timezone = 'UTC'",
            "log_timezone = 'UTC'",
            "max_connections = 200",
        ]
        if self.fast:
            lines += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        if self.simulated_time:
            lines += ["sessionkeeper.simulated_time = on"]
        return "\n".join(lines) + "\n"

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(postgres_bindir() / "pg_ctl"), "-D", str(self.data_dir), *args]
        return self._run(command, what="pg_ctl " + args[0], check=check)

    def _run(
        self, command: list[str], *, what: str, check: bool = True, own_group: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """Run a server program as the server account; ``own_group``: in a process group of its own, all killed and
        reaped when we are interrupted (for initdb, whose half-made folder is then cleaned up)."""
        kwargs: dict = {}
        if self.account.is_other_user:
            kwargs = {"user": self.account.uid, "group": self.account.gid, "extra_groups": []}
        env = {**os.environ, "LC_ALL": "C.UTF-8"}
        env.pop("PGDATA", None)
        with subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd="/",
            env=env,
            start_new_session=own_group,
            **kwargs,
        ) as process:
            try:
                stdout, stderr = process.communicate()
            except BaseException:
                if own_group:
                    _kill_process_group(process)
                else:
                    process.kill()  # as subprocess.run does
                raise
        result = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
        if check and result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            last = detail[-1] if detail else f"exit status {result.returncode}"
            raise SessionkeeperError(f"{what} failed: {last}")
        return result

    def _pid_file_lines(self) -> list[str]:
        """postmaster.pid, line by line (PostgreSQL's layout: pid, data folder, start time, port, socket folder,
        listen address, shared memory key, status); empty when there is none."""
        try:
            return self.pid_file.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return []

    def _pid_from_file(self) -> int | None:
        try:
            return int(self._pid_file_lines()[0].strip())
        except (IndexError, ValueError):
            return None

    def _remove_stale_pid_file(self) -> None:
        """A pid file left by a crash, naming a dead or unrelated process, would block the start."""
        if not self.pid_file.exists():
            return
        pid = self._pid_from_file()
        if pid is None or not _is_postgres_process(pid):
            self.pid_file.unlink()

    def _check_reachable(self) -> None:
        """The server account must be able to reach and write the folder that holds the data folder."""
        parent = self.data_dir.parent
        parent.mkdir(parents=True, exist_ok=True)
        if not self.account.is_other_user:
            return
        probe = subprocess.run(
            ["test", "-x", str(parent)], user=self.account.uid, group=self.account.gid, extra_groups=[], check=False
        )
        if probe.returncode != 0:
            raise SessionkeeperError(
                f"the `{self.account.name}` account cannot reach {parent}: PostgreSQL runs as that account when "
                "started by root; set SESSIONKEEPER_PGDATA to a folder it can reach"
            )

    def _check_socket_path(self) -> None:
        socket_path = f"{self.data_dir}/.s.PGSQL.{self.port}"
        if len(socket_path.encode()) > MAX_SOCKET_PATH:
            raise SessionkeeperError(
                f"the socket path {socket_path} is longer than {MAX_SOCKET_PATH} bytes; "
                "set SESSIONKEEPER_PGDATA to a shorter path"
            )

    def _last_log_problem(self) -> str | None:
        try:
            lines = self.log_file.read_text(errors="replace").splitlines()
        except OSError:
            return None
        for line in reversed(lines):
            if "FATAL" in line or "ERROR" in line or "PANIC" in line:
                return line.strip()
        return None


def _kill_process_group(process: subprocess.Popen) -> None:
    """SIGKILL every process of ``process``'s group and wait (bounded) until none is left."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    process.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)


def _is_postgres_process(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, PermissionError, ProcessLookupError):
        return False
    program = cmdline.split(b"\0", 1)[0]
    return program.endswith(b"postgres") or program.startswith(b"postgres:")
