"""What the dashboard reads from the database: one async function per part of the page, each returning rows."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import psycopg
from psycopg.rows import dict_row

from runner import schedules
from runner.db import first_line
from runner.errors import SessionkeeperError

CHART_HOURS = 48
ROW_LIMIT = 100

# Today's sessions (from midnight UTC), the next seven days', and any still running or overdue; the ones needing a
# person first. Times in each session's own zone.
SESSIONS = """
SELECT
    s.id, s.title, h.full_name AS host_name, s.status::text AS status, s.start_mode::text AS start_mode,
    s.time_zone, to_char(s.starts_at AT TIME ZONE s.time_zone, 'Dy DD Mon HH24:MI') AS starts_local,
    to_char(s.ends_at AT TIME ZONE s.time_zone, 'HH24:MI') AS ends_local, s.capacity, s.current_attendees,
    CASE
        WHEN s.status = 'in_progress' AND s.is_delayed AND s.started_at IS NULL
            THEN 'delayed: nobody started it; start it late or complete it'
        WHEN s.status = 'scheduled' AND s.starts_at <= now()
            THEN 'past its start and still scheduled: is the tick running?'
        WHEN s.status = 'in_progress' AND s.ends_at < now() - interval '5 minutes'
            THEN 'past its end and still in progress: is the tick running?'
    END AS attention
FROM scheduling.sessions AS s
INNER JOIN scheduling.people AS h ON s.host_id = h.id
WHERE
    s.status <> 'deleted'
    AND (
        (s.starts_at >= date_trunc('day', now(), 'UTC') AND s.starts_at < now() + interval '7 days')
        OR s.status = 'in_progress'
        OR (s.status = 'scheduled' AND s.starts_at <= now())
    )
ORDER BY (CASE WHEN s.status = 'in_progress' AND s.is_delayed AND s.started_at IS NULL THEN 0
    WHEN s.status = 'scheduled' AND s.starts_at <= now() THEN 0
    WHEN s.status = 'in_progress' AND s.ends_at < now() - interval '5 minutes' THEN 0 ELSE 1 END), s.starts_at, s.id
LIMIT %s
"""

# Failed rows and uncertain ones (any state), newest first, with the reason and the last provider error.
TROUBLE = """
SELECT
    r.id, r.state::text AS state, r.uncertain, r.kind::text AS kind, r.state_reason,
    concat_ws(': ', r.last_error_code, r.last_error_message) AS last_error, r.last_error_code,
    r.attempts, p.full_name AS recipient, s.title AS session_title,
    to_char(r.updated_at AT TIME ZONE coalesce(p.time_zone, 'UTC'), 'Dy DD Mon HH24:MI') AS updated_local,
    coalesce(p.time_zone, 'UTC') AS time_zone
FROM scheduling.reminders AS r
LEFT JOIN scheduling.people AS p ON r.person_id = p.id
LEFT JOIN scheduling.sessions AS s ON r.session_id = s.id
WHERE r.state = 'failed' OR r.uncertain
ORDER BY r.updated_at DESC, r.id
LIMIT %s
"""

FAILED_BY_CODE = """
SELECT r.last_error_code AS code, count(*)::integer AS failed
FROM scheduling.reminders AS r
WHERE r.state = 'failed'
GROUP BY r.last_error_code
ORDER BY count(*) DESC, r.last_error_code
"""

WORKSHOPS = """
SELECT
    a.workshop_title, a.run_name, a.day_number, a.title, a.time_zone,
    to_char(a.starts_at AT TIME ZONE a.time_zone, 'Dy DD Mon HH24:MI') AS starts_local,
    a.capacity, a.current_attendees, a.seats_left, a.waitlisted, a.calculated_status
FROM scheduling.session_availability AS a
WHERE a.workshop_id IS NOT NULL AND a.ends_at > now() AND a.calculated_status <> 'cancelled'
ORDER BY a.starts_at, a.session_id
LIMIT %s
"""

CRON_FAILURES = """
SELECT jobid, count(*)::integer AS failed
FROM cron.job_run_details
WHERE jobid = ANY(%s) AND status = 'failed' AND start_time > now() - interval '48 hours'
GROUP BY jobid
"""


async def _rows(conn: psycopg.AsyncConnection, query: str, params: tuple = ()) -> list[dict]:
    cursor = conn.cursor(row_factory=dict_row)
    await cursor.execute(query, params)
    return await cursor.fetchall()


async def sessions(conn: psycopg.AsyncConnection) -> list[dict]:
    return await _rows(conn, SESSIONS, (ROW_LIMIT,))


async def queue(conn: psycopg.AsyncConnection) -> dict:
    (row,) = await _rows(conn, "SELECT * FROM scheduling.queue_stats")
    return row


async def trouble(conn: psycopg.AsyncConnection) -> tuple[list[dict], list[dict]]:
    """The failed and uncertain rows, and the failed ones counted by last error code."""
    return await _rows(conn, TROUBLE, (ROW_LIMIT,)), await _rows(conn, FAILED_BY_CODE)


async def activity(conn: psycopg.AsyncConnection, until: datetime) -> list[dict]:
    """Sends, failures and lag per hour over the CHART_HOURS hours up to ``until``."""
    return await _rows(
        conn,
        "SELECT * FROM scheduling.reminder_activity_by_hour(%s, %s)",
        (until - timedelta(hours=CHART_HOURS - 1), until),
    )


async def workshops(conn: psycopg.AsyncConnection) -> list[dict]:
    return await _rows(conn, WORKSHOPS, (ROW_LIMIT,))


async def retry_failed(conn: psycopg.AsyncConnection, code: str | None, actor: str) -> int:
    cursor = await conn.execute("SELECT scheduling.retry_failed_reminders(NULL, %s, %s)", (code, actor))
    return (await cursor.fetchone())[0]


def _cron_jobs(url: str) -> dict:
    """pg_cron's jobs of this database with their last run and failed runs of the last 48 hours, wherever
    pg_cron lives; ``problem`` says why there are none to show."""
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        place = schedules.locate(conn)
        if not place.usable:
            return {"problem": place.problem or "pg_cron is not available", "jobs": []}
        with schedules.cron_connection(conn, place) as cron:
            jobs = schedules.read_pg_cron_jobs(cron, place)
            ids = [job.jobid for job in jobs]
            last = schedules.last_runs(cron, ids)
            failed = dict(cron.execute(CRON_FAILURES, (ids,)).fetchall()) if ids else {}
    where = "this database" if place.local else f"database {place.cron_database}"
    rows = [report | {"failed_48h": failed.get(report["jobid"], 0)} for report in schedules.job_reports(jobs, last)]
    return {"problem": None, "where": f"pg_cron {place.version} in {where}", "jobs": rows}


async def cron_jobs(url: str) -> dict:
    try:
        return await asyncio.to_thread(_cron_jobs, url)
    except (psycopg.Error, SessionkeeperError) as problem:
        return {"problem": f"cannot read pg_cron: {first_line(problem)}", "jobs": []}
