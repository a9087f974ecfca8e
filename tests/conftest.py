"""Test harness: one throwaway PostgreSQL 15 cluster with pg_cron per test session.

The cluster is started by the project's own cluster code (as root it runs as `postgres`);
pytest-postgresql's noproc fixture sits on top of it, migrates once into a template database,
and gives every test that asks for `postgresql` a fresh copy of it.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from pytest_postgresql import factories

from runner.cluster import Cluster
from runner.db import connect
from runner.migrate import Migrator
from runner.schedules import ENV_CRON_DATABASE, SCHEDULING_OFF
from runner.scratch import remove_scratch_cluster, start_scratch_cluster
from tests.fake_provider import FakeProvider

PROJECT = Path(__file__).resolve().parent.parent
# The database pg_cron runs its jobs in, on the test cluster (a template cannot be that database:
# pg_cron's launcher stays connected to it).
CRON_DBNAME = "sessionkeeper_cron"
_cluster: Cluster | None = None


def pytest_sessionstart(session: pytest.Session) -> None:
    global _cluster
    # A shell without job control starts background commands with SIGINT ignored, and an ignored signal is
    # inherited by every process the tests start: `run`, `worker` and `db up` would then (rightly, as under
    # nohup) keep ignoring the Ctrl-C the tests send them. Give them the terminal's default instead.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    # The session cluster holds many databases; left to itself, migrate would schedule pg_cron jobs for every one
    # of them (the template included) in pg_cron's database. Only the tests about pg_cron ask for it by name.
    os.environ[ENV_CRON_DATABASE] = SCHEDULING_OFF
    _cluster = start_scratch_cluster(CRON_DBNAME)
    options = session.config.option
    options.postgresql_host = "127.0.0.1"
    options.postgresql_port = _cluster.port
    options.postgresql_user = "postgres"
    options.postgresql_password = _cluster.password()
    options.postgresql_dbname = "sessionkeeper_test"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _cluster is not None:
        remove_scratch_cluster(_cluster)


def migrate_template(host: str, port: int, user: str, dbname: str, password: str) -> None:
    """pytest-postgresql loader: migrate the template database once per session."""
    url = f"postgresql://{user}:{password}@{host}:{port}/{dbname}"
    with connect(url, autocommit=True) as conn:
        Migrator(conn, PROJECT, say=lambda line: None).run()


postgresql_noproc = factories.postgresql_noproc(load=[migrate_template])
postgresql = factories.postgresql("postgresql_noproc")


@pytest.fixture(scope="session")
def cluster() -> Cluster:
    assert _cluster is not None
    return _cluster


def url_of(conn: psycopg.Connection) -> str:
    info = conn.info
    return f"postgresql://{info.user}:{info.password}@{info.host}:{info.port}/{info.dbname}"


@pytest.fixture
def db_url(postgresql: psycopg.Connection) -> str:
    """The URL of this test's fresh, migrated database."""
    return url_of(postgresql)


@pytest.fixture
def empty_db_url(cluster: Cluster, request: pytest.FixtureRequest) -> Iterator[str]:
    """A new, empty database (nothing migrated), dropped afterwards."""
    name = "empty_" + "".join(c if c.isalnum() else "_" for c in request.node.name)[:50].lower()
    with connect(cluster.url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield cluster.url(name)
    with connect(cluster.url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def cron_db_url(cluster: Cluster) -> str:
    """The session cluster's pg_cron database, migrated, so the `sessionkeeper-tick` job runs in it."""
    url = cluster.url(CRON_DBNAME)
    with connect(cluster.url("postgres"), autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (CRON_DBNAME,)).fetchone():
            admin.execute(f'CREATE DATABASE "{CRON_DBNAME}"')
    with connect(url, autocommit=True) as conn:
        outcome = Migrator(conn, PROJECT, say=lambda line: None, cron_database=CRON_DBNAME).run()
    assert outcome.cron_problem is None, outcome.cron_problem
    return url


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    """A loopback server answering as the WhatsApp Cloud API and Twilio document (tests/fake_provider.py)."""
    provider = FakeProvider().start()
    yield provider
    provider.stop()


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection to the test's own database."""
    with psycopg.connect(db_url, autocommit=True) as connection:
        yield connection
