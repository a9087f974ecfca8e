"""Small helpers shared by the pytest files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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
