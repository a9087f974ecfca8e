"""Fault 5: migrate run twice at once on an empty database, in threads and as two `sessionkeeper migrate`
processes. An advisory lock serialises them: one applies everything, the other waits, then finds
nothing to do; both succeed and every migration is applied exactly once.

To make "at once" certain rather than likely, a third connection holds the lock until both runs queue
on it (pg_locks shows two waiters), then lets them go together.
"""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest

from runner.db import connect
from runner.migrate import MIGRATE_LOCK_KEY, Migrator, read_migrations, read_repeatables
from tests.helpers import PROJECT
from tests.processes import start_cli, wait_exit, wait_for


def migrate(url: str, project: Path = PROJECT):
    with connect(url, autocommit=True) as conn:
        return Migrator(conn, project, say=lambda line: None).run()


def waiting_for_the_lock(conn: psycopg.Connection) -> int:
    return conn.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    ).fetchone()[0]


def ledger(url: str) -> list[tuple]:
    with connect(url) as conn:
        return conn.execute(
            "SELECT version, count(*) FROM sessionkeeper_meta.migrations GROUP BY 1 ORDER BY 1"
        ).fetchall()


def test_two_concurrent_runs_apply_each_migration_once(empty_db_url):
    outcomes, failures = [], []

    def run_one() -> None:
        try:
            outcomes.append(migrate(empty_db_url))
        except Exception as problem:  # reported below
            failures.append(problem)

    with connect(empty_db_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (MIGRATE_LOCK_KEY,))
        threads = [threading.Thread(target=run_one) for _ in range(2)]
        for thread in threads:
            thread.start()
        wait_for(lambda: waiting_for_the_lock(holder) == 2, "both runs queued on the lock", deadline=30)
        holder.execute("SELECT pg_advisory_unlock(%s)", (MIGRATE_LOCK_KEY,))
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    applied = sorted(len(o.applied) for o in outcomes)
    assert applied == [0, len(read_migrations(PROJECT))]
    assert ledger(empty_db_url) == [(m.version, 1) for m in read_migrations(PROJECT)]


@pytest.mark.parametrize("held", [True, False], ids=["queued-on-the-lock", "started-together"])
def test_two_migrate_processes_at_once(empty_db_url, held):
    """Two operators (or two deploys) run `sessionkeeper migrate` at the same moment."""
    migrations = read_migrations(PROJECT)
    with connect(empty_db_url, autocommit=True) as holder:
        if held:
            holder.execute("SELECT pg_advisory_lock(%s)", (MIGRATE_LOCK_KEY,))
        processes = [start_cli("migrate", url=empty_db_url) for _ in range(2)]
        if held:
            wait_for(lambda: waiting_for_the_lock(holder) == 2, "both processes queued", 60, workers=processes)
            holder.execute("SELECT pg_advisory_unlock(%s)", (MIGRATE_LOCK_KEY,))
    results = [wait_exit(process) for process in processes]
    assert [code for code, _ in results] == [0, 0], results
    outputs = [out for _, out in results]
    for migration in migrations:
        lines = [line for out in outputs for line in out.splitlines() if f"applied {migration.relpath} " in line]
        assert len(lines) == 1, f"{migration.relpath} applied {len(lines)} times: {outputs}"
    assert sum("from sql/" in out for out in outputs) == 1, "the SQL objects were applied by one run only"
    assert sum("nothing to do" in out for out in outputs) == 1, outputs
    if held:
        assert all("another migrate is running" in out for out in outputs), outputs
    assert ledger(empty_db_url) == [(m.version, 1) for m in migrations]
    with connect(empty_db_url) as conn:
        repeatables = conn.execute("SELECT count(*) FROM sessionkeeper_meta.repeatables").fetchone()[0]
    assert repeatables == len(read_repeatables(PROJECT))
