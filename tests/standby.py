"""A real physical standby of a scratch cluster, for the tests of multi-host URLs: pg_basebackup -R copies the
primary and leaves the copy following it by streaming replication; `promote` turns it into a primary, a failover in
miniature. Both run as the server account, like every cluster here."""

from __future__ import annotations

import os

from runner.cluster import PASSWORD_FILE, Cluster, postgres_bindir
from runner.scratch import free_loopback_port


def start_standby(primary: Cluster) -> Cluster:
    """A hot standby of ``primary`` on a port of its own, next to the primary's data folder; running, caught up to
    the moment of the copy. ``remove_scratch_cluster`` deletes it with the primary's folder."""
    data_dir = primary.data_dir.parent / "standby"
    data_dir.mkdir(mode=0o700)
    os.chown(data_dir, primary.account.uid, primary.account.gid)
    port = primary.running_port()
    # The server reads every file of its data folder for the copy, the generated password file too (the standby
    # keeps it: same roles, same password).
    os.chown(primary.data_dir / PASSWORD_FILE, primary.account.uid, primary.account.gid)
    primary._run(
        [
            str(postgres_bindir() / "pg_basebackup"),
            *("--pgdata", str(data_dir), "--host", str(primary.data_dir), "--port", str(port)),
            *("--username", "postgres", "--write-recovery-conf", "--wal-method", "stream", "--checkpoint", "fast"),
        ],
        what="pg_basebackup",
    )
    standby = Cluster(data_dir, free_loopback_port(), primary.dbname, fast=True, simulated_time=True)
    with open(data_dir / "postgresql.conf", "a") as conf:
        # The copy carries the primary's port and socket folder; the last setting in the file wins.
        conf.write(f"\nport = {standby.port}\nunix_socket_directories = '{data_dir}'\n")
    standby.start()
    return standby


def promote(standby: Cluster) -> None:
    """End recovery: the standby becomes a primary that accepts writes (pg_ctl promote waits until it does)."""
    standby._pg_ctl("promote", "-w", "-t", "60")


def dead_port() -> int:
    """A loopback port nothing listens on (a host that is down)."""
    return free_loopback_port()


def multi_host_url(cluster: Cluster, dbname: str, ports: list[int]) -> str:
    """``cluster``'s URL for ``dbname`` with every one of ``ports`` as a host on 127.0.0.1, in that order."""
    single = cluster.url(dbname)
    return single.replace(f"127.0.0.1:{cluster.running_port()}", ",".join(f"127.0.0.1:{port}" for port in ports))
