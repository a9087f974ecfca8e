"""Fixtures of the fault suite: the fake provider, a scratch cluster of its own for the tests that
restart PostgreSQL (never the session cluster the other tests share), and pg_cron's database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from runner.cluster import Cluster
from runner.db import connect
from runner.migrate import Migrator
from runner.scratch import remove_scratch_cluster, start_scratch_cluster
from tests.helpers import PROJECT

# pg_cron's database on the restart cluster; the tests use other databases there, so pg_cron
# cannot be created in them and `sessionkeeper run` ticks by itself.
RESTART_CRON_DBNAME = "faults_cron"


@pytest.fixture(scope="session")
def restart_cluster() -> Iterator[Cluster]:
    """A throwaway cluster that tests may stop and start at will."""
    cluster = start_scratch_cluster(RESTART_CRON_DBNAME)
    try:
        yield cluster
    finally:
        remove_scratch_cluster(cluster)


def new_database(cluster: Cluster, name: str, *, migrate: bool = True) -> str:
    """A new database ``name`` in ``cluster`` (dropped first if it exists), migrated unless told not to."""
    with connect(cluster.url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = cluster.url(name)
    if migrate:
        with connect(url, autocommit=True) as conn:
            Migrator(conn, PROJECT, say=lambda line: None).run()
    return url
