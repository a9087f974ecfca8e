"""Throwaway clusters for the test suite and the benchmarks: a temporary folder, a free loopback
port, no fsync, pg_cron preloaded, simulated time on (tests and benchmarks say what time it is, future
times included), deleted afterwards. Built on the same Cluster code as `sessionkeeper db up`, so the
tests exercise it too."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from runner.cluster import Cluster


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_scratch_cluster(dbname: str = "sessionkeeper_cron") -> Cluster:
    """Start a new throwaway cluster; ``dbname`` is the database pg_cron runs its jobs in."""
    folder = Path(tempfile.mkdtemp(prefix="sk-pg-"))
    # The server account (postgres, when we are root) must be able to enter the folder.
    os.chmod(folder, 0o755)
    cluster = Cluster(folder / "data", free_loopback_port(), dbname, fast=True, simulated_time=True)
    try:
        cluster.start()
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return cluster


def remove_scratch_cluster(cluster: Cluster) -> None:
    cluster.destroy()
    shutil.rmtree(cluster.data_dir.parent, ignore_errors=True)


@contextmanager
def scratch_cluster(dbname: str = "sessionkeeper_cron") -> Iterator[Cluster]:
    cluster = start_scratch_cluster(dbname)
    try:
        yield cluster
    finally:
        remove_scratch_cluster(cluster)
