"""Shared by the dashboard tests: a real `sessionkeeper serve` on a free loopback port, and what the page shows."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import psycopg

from runner.scratch import free_loopback_port
from tests.processes import start_cli, stop_worker, wait_for

TOKEN = "operator-token-for-tests-0123456789"
HOSTILE_TITLE = "<script>alert(1)</script>"


@contextmanager
def dashboard(
    url: str, *, token: str | None = TOKEN, env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen, str]]:
    """`sessionkeeper serve` against ``url`` (with the operator token unless None, and ``env``); yields it and its
    base URL."""
    port = free_loopback_port()
    env = {"SESSIONKEEPER_OPERATOR_TOKEN": token or "", **(env or {})}
    process = start_cli("serve", "--port", str(port), url=url, env=env)

    def listening() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return False
        return True

    try:
        wait_for(listening, "the dashboard to listen", deadline=30, workers=(process,))
        yield process, f"http://127.0.0.1:{port}"
    finally:
        stop_worker(process)


def db_now(conn: psycopg.Connection) -> datetime:
    return conn.execute("SELECT now()").fetchone()[0]


def add_session(conn: psycopg.Connection, title: str, starts_in: timedelta, now: datetime) -> str:
    """A one-hour session (its own host) starting ``starts_in`` after ``now``, created at ``now``."""
    host = conn.execute("SELECT scheduling.create_person('Hana Host', NULL, 'Europe/Berlin')").fetchone()[0]
    starts = now + starts_in
    return str(
        conn.execute(
            "SELECT scheduling.create_session(%s, %s, %s, %s, 'Europe/Berlin', p_now => %s)",
            (host, title, starts, starts + timedelta(hours=1), now),
        ).fetchone()[0]
    )


def _appointment_reminder(conn: psycopg.Connection, now: datetime, phone: str) -> str:
    """The first reminder row of a new appointment in two days (a new customer and host)."""
    person = conn.execute(
        "SELECT scheduling.create_person('Ann Example', %s, 'Europe/Berlin', TRUE)", (phone,)
    ).fetchone()[0]
    host = conn.execute("SELECT scheduling.create_person('Hugo Host', NULL, 'Europe/Berlin')").fetchone()[0]
    starts = now + timedelta(days=2)
    booking = conn.execute(
        "SELECT scheduling.create_appointment(%s, %s, 'Haircut', %s, %s, NULL, 'x', %s)",
        (host, person, starts, starts + timedelta(minutes=30), now),
    ).fetchone()[0]
    return str(
        conn.execute(
            "SELECT id FROM scheduling.reminders WHERE booking_id = %s ORDER BY kind, seq LIMIT 1", (booking,)
        ).fetchone()[0]
    )


def add_reminder_outcome(conn: psycopg.Connection, now: datetime, phone: str, state: str, at: datetime) -> str:
    """A reminder that was sent or failed (with code 131026) at ``at``, written straight into the outbox (the
    worker's path is tested elsewhere; here only what the dashboard reads matters). The history trigger logs it."""
    reminder = _appointment_reminder(conn, now, phone)
    conn.execute(
        "UPDATE scheduling.reminders SET state = %s::scheduling.reminder_state, due_at = %s - interval '40 seconds', "
        "sent_at = CASE WHEN %s = 'sent' THEN %s END, "
        "last_error_code = CASE WHEN %s = 'failed' THEN '131026' END, "
        "last_error_message = CASE WHEN %s = 'failed' THEN 'not on WhatsApp' END, "
        "state_reason = CASE WHEN %s = 'failed' THEN 'the provider refused it for good' ELSE 'sent' END, "
        "updated_at = %s WHERE id = %s",
        (state, at, state, at, state, state, state, at, reminder),
    )
    return reminder


def reminder_state(conn: psycopg.Connection, reminder: str) -> str:
    return conn.execute("SELECT state::text FROM scheduling.reminders WHERE id = %s", (reminder,)).fetchone()[0]
