"""Real `sessionkeeper` processes for the tests, and the bounded polling that waits for them.

Long-running commands (worker, run, tick --loop) write their output to a temporary file rather than
a pipe: a chatty process can never block on a full pipe, and a test can read what it said so far
while it still runs. `stop_worker` stops any of them (SIGTERM, then SIGKILL after 30 s) and returns
its exit status and everything it printed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import psycopg

from runner.scratch import free_loopback_port
from tests.helpers import PROJECT, SESSIONKEEPER

DEADLINE = 90.0
T = TypeVar("T")


def states(url: str) -> Counter:
    """How many outbox rows are in each state right now."""
    with psycopg.connect(url) as conn:
        return Counter(
            dict(conn.execute("SELECT state::text, count(*) FROM scheduling.reminders GROUP BY 1").fetchall())
        )


def output_of(process: subprocess.Popen) -> str:
    """What a process started by `start_cli` has printed so far (stdout and stderr together)."""
    log_path: Path | None = getattr(process, "log_path", None)
    if log_path is None:
        return ""
    try:
        return log_path.read_text(errors="replace")
    except FileNotFoundError:
        return ""


def wait_for(
    condition: Callable[[], T],
    what: str,
    deadline: float = DEADLINE,
    workers: Sequence[subprocess.Popen] = (),
    every: float = 0.1,
) -> T:
    """Poll ``condition`` (bounded) until it returns something truthy; fail at once, with its output,
    if one of ``workers`` exits meanwhile."""
    give_up = time.monotonic() + deadline
    while time.monotonic() < give_up:
        value = condition()
        if value:
            return value
        for worker in workers:
            if worker.poll() is not None:
                out = output_of(worker) or (worker.stdout.read() if worker.stdout else "")
                raise AssertionError(f"process exited {worker.returncode} while waiting for {what}: {out}")
        time.sleep(every)
    raise AssertionError(f"timed out after {deadline:g} s waiting for {what}")


def cli_environment(url: str | None, env: dict[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without its database settings, plus ``url`` (when given) and ``env``."""
    full = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SESSIONKEEPER_DATABASE_URL")}
    if url is not None:
        full["SESSIONKEEPER_DATABASE_URL"] = url
    full.update(env or {})
    return full


def start_cli(*args: str, url: str | None, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start `sessionkeeper ARGS` in its own process, its output going to a temporary file."""
    with tempfile.NamedTemporaryFile("wb", prefix="sk-process-", suffix=".log", delete=False) as log:
        process = subprocess.Popen(
            [*SESSIONKEEPER, *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=cli_environment(url, env),
            cwd=PROJECT,
        )
    process.log_path = Path(log.name)  # type: ignore[attr-defined]
    return process


def start_worker(url: str, env: dict[str, str], *extra: str) -> subprocess.Popen:
    """`sessionkeeper worker EXTRA...` against ``url`` with the sender settings in ``env``."""
    return start_cli("worker", *extra, url=url, env=env)


def start_webhook(url: str, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """`sessionkeeper webhook` against ``url`` on a free loopback port, with the secrets in ``env``; returns the
    process and its base URL once it accepts connections."""
    port = free_loopback_port()
    process = start_cli("webhook", "--port", str(port), url=url, env=env)

    def listening() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return False
        return True

    wait_for(listening, "the webhook to listen", deadline=20, workers=(process,))
    return process, f"http://127.0.0.1:{port}"


def stop_worker(process: subprocess.Popen) -> tuple[int, str]:
    """Stop a process as an operator would (SIGTERM; SIGKILL after 30 s); its exit status and output."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        piped, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        piped, _ = process.communicate()
    out = output_of(process) + (piped or "")
    log_path: Path | None = getattr(process, "log_path", None)
    if log_path is not None:
        log_path.unlink(missing_ok=True)
    return process.returncode, out


def wait_exit(process: subprocess.Popen, timeout: float = 120) -> tuple[int, str]:
    """Let a process that ends by itself end (bounded: SIGKILL after ``timeout``); its exit status and output."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    return stop_worker(process)


def kill(process: subprocess.Popen) -> str:
    """SIGKILL: no handler runs, nothing is recorded, open connections just drop. Returns the output."""
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    return stop_worker(process)[1]
