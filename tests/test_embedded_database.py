"""The embedded development database tells the truth: the port it really listens on, and who stops it.

Real `sessionkeeper` processes (the venv's script) against real PostgreSQL 15 clusters in temporary folders; as
root the clusters run as the `postgres` account, so the folders are made traversable for it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from runner.cluster import Cluster
from runner.config import DEFAULT_DBNAME, DEFAULT_PORT
from runner.scratch import free_loopback_port

SESSIONKEEPER = Path(sys.executable).parent / "sessionkeeper"
DEADLINE = 60.0
RUNNING_LINE = "running: Ctrl-C or SIGTERM to stop"
STOPPED_LINE = "stopped the embedded database"
KEEPS_RUNNING_LINE = "the embedded database keeps running: stop it with `sessionkeeper db down`"
# Settings that would point the commands elsewhere, or change what run does, are never inherited.
INHERITED_SETTINGS = (
    "DATABASE_URL",
    "SESSIONKEEPER_DATABASE_URL",
    "SESSIONKEEPER_PGDATA",
    "SESSIONKEEPER_PGPORT",
    "SESSIONKEEPER_DBNAME",
    "SESSIONKEEPER_KEEP_DATABASE",
    "SESSIONKEEPER_DEMO",
    "SESSIONKEEPER_METRICS_PORT",
    "SESSIONKEEPER_LOG_FORMAT",
    "SESSIONKEEPER_SENDER",
    "WHATSAPP_CLOUD_TOKEN",
    "WHATSAPP_ACCOUNT_SID",
    "TWILIO_ACCOUNT_SID",
)


@dataclass
class Embedded:
    """An embedded cluster's settings: a data folder the postgres account can reach, and a free port."""

    data_dir: Path
    port: int

    def env(self, *, with_port: bool = True, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in INHERITED_SETTINGS}
        env["SESSIONKEEPER_PGDATA"] = str(self.data_dir)
        if with_port:
            env["SESSIONKEEPER_PGPORT"] = str(self.port)
        env.update(extra)
        return env

    def cluster(self) -> Cluster:
        return Cluster(self.data_dir, self.port, DEFAULT_DBNAME)


@pytest.fixture
def embedded() -> Iterator[Embedded]:
    folder = Path(tempfile.mkdtemp(prefix="sk-embedded-"))
    os.chmod(folder, 0o755)
    port = free_loopback_port()
    while port == DEFAULT_PORT:  # the tests tell the configured port from the running one
        port = free_loopback_port()
    settings = Embedded(folder / "data", port)
    try:
        yield settings
    finally:
        settings.cluster().destroy()
        shutil.rmtree(folder, ignore_errors=True)


def sessionkeeper(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SESSIONKEEPER), *args], capture_output=True, text=True, env=env, timeout=120)


def test_status_and_url_name_the_port_the_server_listens_on(embedded):
    up = sessionkeeper("db", "up", env=embedded.env())
    assert up.returncode == 0, up.stderr
    assert up.stdout.startswith("started:")
    assert f"on 127.0.0.1:{embedded.port}, database" in up.stdout

    # A shell without SESSIONKEEPER_PGPORT: the configuration says 54329, the server listens elsewhere.
    elsewhere = embedded.env(with_port=False)
    status = sessionkeeper("db", "status", env=elsewhere)
    assert status.returncode == 0, status.stderr
    lines = status.stdout.strip().splitlines()
    assert len(lines) == 1, status.stdout
    assert lines[0].startswith("running: pid ")
    assert f"127.0.0.1:{embedded.port} (configured {DEFAULT_PORT}, running on {embedded.port})" in lines[0]

    url = sessionkeeper("db", "url", env=elsewhere)
    assert url.returncode == 0, url.stderr
    assert url.stderr == ""
    printed = url.stdout.strip()
    assert f"@127.0.0.1:{embedded.port}/{DEFAULT_DBNAME}" in printed
    with psycopg.connect(printed, connect_timeout=10) as conn:
        assert conn.execute("SELECT current_setting('port')::int").fetchone()[0] == embedded.port

    again = sessionkeeper("db", "up", env=elsewhere)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("already running:")
    assert f"(configured {DEFAULT_PORT}, running on {embedded.port})" in again.stdout

    # Commands that connect use the real port too (db.resolve_url goes through Cluster.url).
    migrated = sessionkeeper("migrate", env=elsewhere)
    assert migrated.returncode == 0, migrated.stderr

    down = sessionkeeper("db", "down", env=elsewhere)
    assert down.returncode == 0, down.stderr
    assert down.stdout.strip() == "stopped"
    assert embedded.cluster().running_pid() is None

    stopped = sessionkeeper("db", "status", env=elsewhere)
    assert stopped.returncode == 3
    assert len(stopped.stderr.strip().splitlines()) == 1, stopped.stderr
    assert "is not running" in stopped.stderr
    # Stopped: the URL it will have once started with these settings, and a note saying so.
    offline = sessionkeeper("db", "url", env=elsewhere)
    assert offline.returncode == 0, offline.stderr
    assert f"@127.0.0.1:{DEFAULT_PORT}/{DEFAULT_DBNAME}" in offline.stdout
    assert "not running" in offline.stderr


def start_run(embedded: Embedded, *args: str, **extra: str) -> subprocess.Popen[str]:
    """`sessionkeeper run ARGS` on the embedded cluster; output to a temporary file, so no pipe ever fills."""
    with tempfile.NamedTemporaryFile("w", prefix="sk-run-", suffix=".log", delete=False) as log:
        process = subprocess.Popen(
            [str(SESSIONKEEPER), "run", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            env=embedded.env(**extra),
        )
    process.log_path = Path(log.name)  # type: ignore[attr-defined]
    return process


def output_of(process: subprocess.Popen[str]) -> str:
    return process.log_path.read_text(errors="replace")  # type: ignore[attr-defined]


def interrupt_when_running(
    process: subprocess.Popen[str], signum: int = signal.SIGINT, when: str = RUNNING_LINE
) -> tuple[int, str]:
    """Wait (bounded) until run prints ``when`` (by default: that it is running), send ``signum``, wait (bounded)
    for the exit; its exit status and output. Killed and removed whatever happens."""
    try:
        give_up = time.monotonic() + DEADLINE
        while when not in output_of(process):
            if process.poll() is not None:
                raise AssertionError(f"run exited {process.returncode} before {when!r}: {output_of(process)}")
            if time.monotonic() > give_up:
                raise AssertionError(f"run did not start within {DEADLINE:g} s: {output_of(process)}")
            time.sleep(0.1)
        process.send_signal(signum)
        try:
            process.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"run did not stop within {DEADLINE:g} s: {output_of(process)}") from None
        return process.returncode, output_of(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.log_path.unlink(missing_ok=True)  # type: ignore[attr-defined]


def test_ctrl_c_on_run_stops_the_database_run_started(embedded):
    # Ctrl-C during start-up (the first migration takes a moment): no error, and the database stops all the same.
    status, out = interrupt_when_running(start_run(embedded), when="database: postgresql://")
    assert status == 0, out
    assert STOPPED_LINE in out
    assert "error" not in out and "Traceback" not in out
    assert embedded.cluster().running_pid() is None

    status, out = interrupt_when_running(start_run(embedded))
    assert status == 0, out
    assert STOPPED_LINE in out
    assert KEEPS_RUNNING_LINE not in out
    assert "Traceback" not in out
    assert out.strip().endswith("stopped")
    assert embedded.cluster().running_pid() is None

    # --keep-database (here from its environment variable): run started it, and leaves it running on SIGTERM.
    status, out = interrupt_when_running(start_run(embedded, SESSIONKEEPER_KEEP_DATABASE="1"), signal.SIGTERM)
    assert status == 0, out
    assert KEEPS_RUNNING_LINE in out
    assert STOPPED_LINE not in out
    assert embedded.cluster().running_pid() is not None


def test_ctrl_c_on_run_leaves_a_database_that_was_already_running(embedded):
    up = sessionkeeper("db", "up", env=embedded.env())
    assert up.returncode == 0, up.stderr
    pid = embedded.cluster().running_pid()
    assert pid is not None

    status, out = interrupt_when_running(start_run(embedded))
    assert status == 0, out
    assert KEEPS_RUNNING_LINE in out
    assert STOPPED_LINE not in out
    assert "Traceback" not in out
    assert embedded.cluster().running_pid() == pid

    down = sessionkeeper("db", "down", env=embedded.env())
    assert down.stdout.strip() == "stopped"


def test_ctrl_c_during_the_first_initdb_leaves_a_folder_the_next_start_initialises(embedded):
    env = embedded.env()
    process = subprocess.Popen(
        [str(SESSIONKEEPER), "db", "up"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        # initdb writes PG_VERSION first, then spends a second or so bootstrapping: interrupt it then.
        deadline = time.monotonic() + DEADLINE
        while not (embedded.data_dir / "PG_VERSION").exists() and process.poll() is None:
            assert time.monotonic() < deadline, "initdb never started"
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=DEADLINE)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode != 0, "initdb finished before the interrupt reached it"
    assert list(embedded.data_dir.iterdir()) == []
    again = subprocess.run([str(SESSIONKEEPER), "db", "up"], env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("started:")


def test_psycopg_warnings_are_dropped_only_once_run_is_interrupted():
    # A query cut off by Ctrl-C can leave psycopg unable to roll back; its warning is the interruption speaking.
    import logging
    import types

    from runner.lifetime import _QuietOnceInterrupted

    lifetime = types.SimpleNamespace(interruptions=[])
    quiet = _QuietOnceInterrupted(lifetime)  # type: ignore[arg-type]
    record = logging.LogRecord("psycopg", logging.WARNING, __file__, 1, "error ignored in rollback", None, None)
    assert quiet.filter(record), "before an interruption psycopg's warnings are shown"
    lifetime.interruptions.append(signal.SIGINT)
    assert not quiet.filter(record), "after one they are not"
