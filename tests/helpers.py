"""Small helpers shared by the pytest files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
SESSIONKEEPER = [sys.executable, "-m", "runner.cli"]


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the sessionkeeper CLI as an operator would, in its own process."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SESSIONKEEPER_DATABASE_URL")}
    full_env.update(env or {})
    return subprocess.run(
        [*SESSIONKEEPER, *args], capture_output=True, text=True, env=full_env, cwd=PROJECT, timeout=timeout
    )


def copy_project(destination: Path) -> Path:
    """A copy of migrations/ and sql/ to edit freely in a test."""
    for folder in ("migrations", "sql"):
        shutil.copytree(PROJECT / folder, destination / folder)
    return destination


def wait_until_blocked(conn, function: str, timeout: float = 10.0) -> None:
    """Until a call of ``function`` (on another connection) waits on a lock: a bounded poll of pg_stat_activity,
    not a sleep for time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s",
            (f"%{function}%",),
        ).fetchone()[0]
        if waiting:
            return
    raise AssertionError(f"{function} never waited on a lock")
