"""Multi-host URLs against real replication: a primary, and a hot standby made from it with pg_basebackup -R.

* No host of the URL accepts writes (a standby and a host that is down): a one-shot command exits non-zero with one
  line and writes nothing; the worker says so in one line, stays up and retries, and once the standby is promoted
  (a failover in miniature) it reconnects to it and sends.
* A URL whose first host is down and whose second is the primary works for migrate and the worker.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import psycopg
import pytest

from runner.cluster import Cluster
from runner.scratch import remove_scratch_cluster, start_scratch_cluster
from tests.faults.conftest import new_database
from tests.faults.outbox import assert_delivered_once
from tests.helpers import PROJECT, SESSIONKEEPER
from tests.processes import cli_environment, output_of, start_worker, states, stop_worker, wait_for
from tests.seed import add_due_reminders
from tests.standby import dead_port, multi_host_url, promote, start_standby

DBNAME = "replicated"


@pytest.fixture
def primary() -> Iterator[Cluster]:
    cluster = start_scratch_cluster("replicated_cron")
    try:
        yield cluster
    finally:
        remove_scratch_cluster(cluster)


@pytest.fixture
def standby(primary: Cluster) -> Iterator[Cluster]:
    """A hot standby of ``primary`` holding the migrated database DBNAME (a few due reminders in it)."""
    url = new_database(primary, DBNAME)
    add_due_reminders(url, 3)
    replica = start_standby(primary)
    try:
        yield replica
    finally:
        replica.destroy()


def run_cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SESSIONKEEPER, *args], capture_output=True, text=True, env=cli_environment(url), cwd=PROJECT, timeout=120
    )


def people(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM scheduling.people").fetchone()[0]


def no_writable_line(ports: list[int]) -> str:
    hosts = ",".join(f"127.0.0.1:{port}" for port in ports)
    return f"no host in {hosts} accepts writes (all are standbys or unreachable)"


def test_one_shot_commands_refuse_a_url_without_a_writable_host(primary, standby):
    ports = [standby.port, dead_port()]
    url = multi_host_url(primary, DBNAME, ports)
    before = people(primary.url(DBNAME))
    for args in (["demo"], ["migrate"], ["stats"]):
        result = run_cli(url, *args)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert result.stderr.strip() == f"error: {no_writable_line(ports)}", (args, result.stderr)
    assert people(primary.url(DBNAME)) == before, "nothing was written"
    doctor = run_cli(url, "doctor")
    assert doctor.returncode == 1 and f"{no_writable_line(ports)}" in doctor.stdout, doctor.stdout
    # The standby alone, named in a URL of one host that asks for a writable session, is refused the same way
    # by libpq (the one-line wording is for URLs of several hosts).
    single = multi_host_url(primary, DBNAME, [standby.port]) + "?target_session_attrs=read-write"
    result = run_cli(single, "stats")
    assert result.returncode == 1 and "read-only" in result.stderr, result.stderr


def test_worker_waits_for_a_writable_host_and_sends_once_the_standby_is_promoted(primary, standby, fake):
    ports = [dead_port(), standby.port]
    url = multi_host_url(primary, DBNAME, ports)
    worker = start_worker(url, fake.cloud_env(), "--lanes", "1")
    try:
        line = f"{no_writable_line(ports)}; retrying in"
        wait_for(lambda: output_of(worker).count(line) >= 2, "the lane and the listener to say so", workers=(worker,))
        assert states(standby.url(DBNAME))["sent"] == 0
        primary.stop()  # the old primary goes away, as in a failover
        promote(standby)
        wait_for(lambda: states(standby.url(DBNAME))["sent"] == 3, "the reminders sent via the new primary")
        assert worker.poll() is None, "the worker kept running"
    finally:
        code, out = stop_worker(worker)
    assert code == 0, out
    assert "Traceback" not in out, out
    assert len(assert_delivered_once(standby.url(DBNAME), fake, never=set()).sent) == 3


def test_a_dead_first_host_is_skipped_for_migrate_and_the_worker(primary, fake):
    new_database(primary, DBNAME, migrate=False)
    ports = [dead_port(), primary.running_port()]
    url = multi_host_url(primary, DBNAME, ports)
    result = run_cli(url, "migrate")
    assert result.returncode == 0, result.stderr
    add_due_reminders(primary.url(DBNAME), 2)
    worker = start_worker(url, fake.cloud_env(), "--lanes", "1")
    try:
        wait_for(lambda: states(url)["sent"] == 2, "both reminders sent", workers=(worker,))
    finally:
        code, out = stop_worker(worker)
    assert code == 0, out
    assert "accepts writes" not in out and "unavailable" not in out, out
