"""The formation of the failover test: `sessionkeeper ha up` in a temporary folder, `ha down` afterwards whatever
happened (no process or cluster is left behind)."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.ha import Formation
from runner.schedules import ENV_CRON_DATABASE
from tests.helpers import PROJECT, SESSIONKEEPER


def ha_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`sessionkeeper ha ARGS` as an operator runs it: pg_cron scheduled (the suite turns scheduling off for its
    shared cluster; the formation has pg_cron of its own)."""
    env = {k: v for k, v in os.environ.items() if k not in (ENV_CRON_DATABASE, "SESSIONKEEPER_DATABASE_URL")}
    return subprocess.run(
        [*SESSIONKEEPER, "ha", *args], capture_output=True, text=True, env=env, cwd=PROJECT, timeout=timeout
    )


@pytest.fixture
def formation() -> Iterator[Formation]:
    parent = Path(tempfile.mkdtemp(prefix="sk-ha-"))
    os.chmod(parent, 0o755)  # the postgres account must reach the formation's folder
    folder = parent / "ha"
    try:
        up = ha_cli("up", "--dir", str(folder))
        assert up.returncode == 0, up.stdout + up.stderr
        print("\n" + up.stdout.splitlines()[-3])
        yield Formation(folder)
    finally:
        down = ha_cli("down", "--dir", str(folder))
        assert down.returncode == 0, down.stdout + down.stderr
        assert not Formation(folder).running_processes(), "ha down left processes behind"
        assert not folder.exists()
        parent.rmdir()
