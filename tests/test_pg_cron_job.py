"""The real pg_cron job runs tick on a real cluster: a session changes status with nobody calling it.

pg_cron 1.4 schedules by the minute, so this test polls cron.job_run_details (bounded) until the
job has run; that is the one wait on the clock this suite allows.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import psycopg

DEADLINE_SECONDS = 150


def test_tick_job_is_scheduled_every_minute(cron_db_url):
    with psycopg.connect(cron_db_url) as conn:
        jobs = conn.execute("SELECT schedule, command FROM cron.job WHERE jobname = 'sessionkeeper-tick'").fetchall()
    assert jobs == [("* * * * *", "SET ROLE sessionkeeper_cron; SELECT scheduling.tick()")]


def test_pg_cron_moves_a_due_session_without_anyone_calling_tick(cron_db_url):
    now = datetime.now(UTC)
    with psycopg.connect(cron_db_url, autocommit=True) as conn:
        host = conn.execute(
            "SELECT scheduling.create_person('Cron Host', '+4915112345678', 'Europe/Berlin')"
        ).fetchone()[0]
        session_id = conn.execute(
            "SELECT scheduling.create_session(%s, 'started by pg_cron', %s, %s)",
            (host, now - timedelta(minutes=1), now + timedelta(hours=1)),
        ).fetchone()[0]
        started_waiting = conn.execute("SELECT now()").fetchone()[0]
        deadline = time.monotonic() + DEADLINE_SECONDS
        status, runs = None, []
        while time.monotonic() < deadline:
            status = conn.execute(
                "SELECT status::text FROM scheduling.sessions WHERE id = %s", (session_id,)
            ).fetchone()[0]
            runs = conn.execute(
                """
                SELECT d.status, d.return_message FROM cron.job_run_details AS d
                JOIN cron.job AS j ON j.jobid = d.jobid
                WHERE j.jobname = 'sessionkeeper-tick' AND d.start_time >= %s AND d.status IN ('succeeded', 'failed')
                """,
                (started_waiting,),
            ).fetchall()
            if status != "scheduled" and runs:
                break
            time.sleep(1)
        actor = conn.execute(
            "SELECT actor, reason::text FROM scheduling.session_status_history WHERE session_id = %s "
            "AND to_status = 'in_progress'",
            (session_id,),
        ).fetchall()
    assert runs and all(state == "succeeded" for state, _ in runs), runs
    assert status == "in_progress"
    assert [reason for _, reason in actor] == ["automatic"]
