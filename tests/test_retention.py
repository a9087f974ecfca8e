"""Retention outside the database functions: pg_cron's run history of our jobs, and the tick loop's purge.

The cron-history job (runner.schedules) really runs in pg_cron: its schedule is set to every minute for the test
and cron.job_run_details is polled (bounded), the one wait on the clock the suite allows. Old run rows are
written with old times instead of waiting for them to age.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import psycopg

from runner import schedules
from runner.loops import Purger, tick_loop

DEADLINE_SECONDS = 150
HISTORY = schedules.HISTORY_JOB


def add_run(conn: psycopg.Connection, jobid: int, ended: datetime) -> int:
    """A finished run row of job ``jobid`` (as pg_cron writes it), ended at ``ended``; its runid."""
    return conn.execute(
        "INSERT INTO cron.job_run_details (jobid, job_pid, database, username, command, status, return_message, "
        "start_time, end_time) SELECT jobid, 0, database, username, command, 'succeeded', '1 row', "
        "%(ended)s - interval '1 second', %(ended)s FROM cron.job WHERE jobid = %(jobid)s RETURNING runid",
        {"jobid": jobid, "ended": ended},
    ).fetchone()[0]


@contextmanager
def every_minute(conn: psycopg.Connection, jobid: int) -> Iterator[datetime]:
    """The job runs every minute until the block ends, then gets its schedule back; yields when that began."""
    before = conn.execute("SELECT schedule FROM cron.job WHERE jobid = %s", (jobid,)).fetchone()[0]
    conn.execute("SELECT cron.alter_job(%s, schedule => '* * * * *')", (jobid,))
    try:
        yield conn.execute("SELECT now()").fetchone()[0]
    finally:
        conn.execute("SELECT cron.alter_job(%s, schedule => %s)", (jobid, before))


def wait_for_run(conn: psycopg.Connection, jobid: int, since: datetime) -> list[tuple]:
    """The finished runs of ``jobid`` that started after ``since``, once there is one (or the deadline passed)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    runs: list[tuple] = []
    while time.monotonic() < deadline and not runs:
        runs = conn.execute(
            "SELECT status, return_message FROM cron.job_run_details WHERE jobid = %s AND start_time >= %s "
            "AND status IN ('succeeded', 'failed')",
            (jobid, since),
        ).fetchall()
        if not runs:
            time.sleep(1)
    return runs


def test_the_purge_and_the_cron_history_jobs_are_scheduled(cron_db_url):
    with psycopg.connect(cron_db_url) as conn:
        jobs = dict(conn.execute("SELECT jobname, command FROM cron.job WHERE jobname LIKE 'sessionkeeper-%'"))
    assert jobs["sessionkeeper-purge"] == "SET ROLE sessionkeeper_cron; SELECT scheduling.purge_old_records()"
    history = jobs[HISTORY]
    assert history.startswith("DELETE FROM cron.job_run_details WHERE runid IN (")
    assert "interval '7 days'" in history and "SET ROLE" not in history


def test_pg_cron_deletes_the_old_run_rows_of_our_jobs_and_keeps_the_rest(cron_db_url):
    now = datetime.now(UTC)
    with psycopg.connect(cron_db_url, autocommit=True) as conn:
        ids = dict(conn.execute("SELECT jobname, jobid FROM cron.job WHERE jobname LIKE 'sessionkeeper-%'"))
        foreign = conn.execute("SELECT cron.schedule('someone-else', '0 0 1 1 *', 'SELECT 1')").fetchone()[0]
        try:
            old_tick = add_run(conn, ids["sessionkeeper-tick"], now - timedelta(days=8))
            old_archive = add_run(conn, ids["sessionkeeper-archive"], now - timedelta(days=30))
            young_tick = add_run(conn, ids["sessionkeeper-tick"], now - timedelta(days=6))
            old_foreign = add_run(conn, foreign, now - timedelta(days=30))
            with every_minute(conn, ids[HISTORY]) as since:
                runs = wait_for_run(conn, ids[HISTORY], since)
            left = {
                runid
                for (runid,) in conn.execute(
                    "SELECT runid FROM cron.job_run_details WHERE runid = ANY(%s)",
                    ([old_tick, old_archive, young_tick, old_foreign],),
                )
            }
        finally:
            conn.execute("SELECT cron.unschedule(%s::bigint)", (foreign,))
            conn.execute("DELETE FROM cron.job_run_details WHERE jobid = %s", (foreign,))
    assert runs and all(status == "succeeded" for status, _ in runs), runs
    assert left == {young_tick, old_foreign}


def test_a_changed_age_reaches_the_history_job_at_the_next_migrate(cron_db_url):
    with psycopg.connect(cron_db_url, autocommit=True) as conn:
        conn.execute("SELECT scheduling.set_retention_age('30 days')")
        try:
            report = schedules.sync(conn, dry_run=True, cron_database=conn.info.dbname)
            wanted = {job.jobname: job for job in schedules.wanted_jobs(conn, report.place)}
        finally:
            conn.execute("SELECT scheduling.set_retention_age('7 days')")
        unchanged = schedules.sync(conn, dry_run=True, cron_database=conn.info.dbname)
    assert report.scheduled == [HISTORY], report
    assert "interval '30 days'" in wanted[HISTORY].pg_cron_command
    assert unchanged.scheduled == [] and not unchanged.problem


# ---- the tick loop's purge (no pg_cron) ------------------------------------------------------------------------
def add_old_event(conn: psycopg.Connection, message_id: str, days: int) -> None:
    conn.execute(
        "INSERT INTO scheduling.provider_events (provider, provider_message_id, status, provider_status, "
        "received_at, outcome) VALUES ('whatsapp', %s, 'delivered', 'delivered', now() - make_interval(days => %s), "
        "'unmatched')",
        (message_id, days),
    )


def events(conn: psycopg.Connection) -> list[str]:
    return [m for (m,) in conn.execute("SELECT provider_message_id FROM scheduling.provider_events ORDER BY 1")]


def due_session(conn: psycopg.Connection) -> Callable[[], bool]:
    """A session that started a minute ago (so the next tick starts it); says whether it has been started."""
    now = datetime.now(UTC)
    host = conn.execute("SELECT scheduling.create_person('Host', '+4915112345678', 'Europe/Berlin')").fetchone()[0]
    session = conn.execute(
        "SELECT scheduling.create_session(%s, 'due', %s, %s)",
        (host, now - timedelta(minutes=1), now + timedelta(hours=1)),
    ).fetchone()[0]
    query = "SELECT status::text = 'in_progress' FROM scheduling.sessions WHERE id = %s"
    return lambda: conn.execute(query, (session,)).fetchone()[0]


def run_loop_until(url: str, purger: Purger, done: Callable[[], bool], said: list[str]) -> bool:
    """Run the tick loop in a thread until ``done()`` (bounded); whether it came true."""
    stop = threading.Event()
    thread = threading.Thread(target=tick_loop, args=(url, 0.05, stop, said.append, purger), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline and not done():
            time.sleep(0.05)
        return bool(done())
    finally:
        stop.set()
        thread.join(10)


def test_the_tick_loop_purges_at_once_and_then_hourly(db_url):
    with psycopg.connect(db_url, autocommit=True) as conn:
        add_old_event(conn, "wamid.OLD", 8)
        add_old_event(conn, "wamid.YOUNG", 1)
        said: list[str] = []
        purger = Purger()
        assert run_loop_until(db_url, purger, lambda: events(conn) == ["wamid.YOUNG"], said), said
        assert 'purge {"provider_events": 1}' in said
        # The next purge waits an hour: an event that is old now stays while the loop ticks a due session on.
        add_old_event(conn, "wamid.LATER", 9)
        started = due_session(conn)
        assert run_loop_until(db_url, purger, started, said), said
        assert events(conn) == ["wamid.LATER", "wamid.YOUNG"]
        assert purger.next_at is not None and purger.next_at > time.monotonic() + 3000


def test_a_failing_purge_is_logged_and_the_loop_keeps_ticking(db_url):
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "CREATE OR REPLACE FUNCTION scheduling.purge_old_records(p_older_than interval DEFAULT NULL, "
            "p_batch integer DEFAULT 10000, p_now timestamptz DEFAULT now()) RETURNS jsonb LANGUAGE plpgsql AS "
            "$$BEGIN RAISE EXCEPTION USING ERRCODE = 'SK047', MESSAGE = 'broken on purpose'; END$$"
        )
        said: list[str] = []
        purger = Purger(every=0)  # due on every round: each round fails again
        failures = lambda: [line for line in said if line.startswith("purge failed: broken on purpose")]  # noqa: E731
        assert run_loop_until(db_url, purger, lambda: len(failures()) >= 2, said), said
        assert failures()[0] == "purge failed: broken on purpose [SQLSTATE SK047]; next try in 0 s"
        assert run_loop_until(db_url, purger, due_session(conn), said), said


def test_the_purger_runs_when_due_only():
    clock = [1000.0]

    class Conn:
        calls = 0

        def execute(self, query: str):
            Conn.calls += 1
            assert query == "SELECT scheduling.purge_old_records()"
            return self

        def fetchone(self):
            return ({"older_than": "7 days", "provider_events": 0},)

    purger = Purger(every=3600, clock=lambda: clock[0])
    said: list[str] = []
    assert purger.run_if_due(Conn(), said.append) is not None
    clock[0] += 3599
    assert purger.run_if_due(Conn(), said.append) is None
    clock[0] += 1
    assert purger.run_if_due(Conn(), said.append) is not None
    assert Conn.calls == 2 and said == []
