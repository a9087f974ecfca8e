"""A cancel that commits while a claim is in flight: the cancelled reminder is never claimed (so never sent).

Two connections, real PostgreSQL, no sleeps: the interleavings are forced with open transactions and row locks.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

NOW = datetime(2031, 7, 1, 8, 0, tzinfo=UTC)
STARTS = NOW + timedelta(hours=1)


@pytest.fixture
def conn(db_url):
    with psycopg.connect(db_url, autocommit=True) as connection:
        yield connection


def book(conn) -> tuple[str, str]:
    """A 1:1 appointment whose one reminder (default policy: 1 hour before) is due at NOW."""
    host = conn.execute("SELECT scheduling.create_person('Host', '+4915112345678', 'Europe/Berlin')").fetchone()[0]
    person = conn.execute("SELECT scheduling.create_person('Ann', '+4915112345679', 'Europe/Berlin', TRUE)").fetchone()[
        0
    ]
    booking = conn.execute(
        "SELECT scheduling.create_appointment(%s, %s, 'Haircut', %s, %s, p_now => %s)",
        (host, person, STARTS, STARTS + timedelta(minutes=30), NOW - timedelta(days=1)),
    ).fetchone()[0]
    reminder = conn.execute(
        "SELECT id FROM scheduling.reminders WHERE booking_id = %s AND kind = 'reminder'", (booking,)
    ).fetchone()[0]
    return str(booking), str(reminder)


def claim(conn) -> list[tuple]:
    return conn.execute(
        "SELECT reminder_id, kind FROM scheduling.claim_due_reminders('race', 50, '60 seconds', %s)", (NOW,)
    ).fetchall()


def reminder_claims(rows) -> list:
    return [row for row in rows if row[1] == "reminder"]


def wait_until_blocked(conn, timeout: float = 10.0) -> None:
    """Until the cancel is waiting on a row lock (bounded poll of pg_stat_activity, not a sleep for time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s",
            ("%cancel_booking%",),
        ).fetchone()[0]
        if waiting:
            return
    raise AssertionError("the cancel never blocked on the claim's locks")


def state_of(conn, reminder) -> str:
    return conn.execute("SELECT state::text FROM scheduling.reminders WHERE id = %s", (reminder,)).fetchone()[0]


def test_cancel_in_flight_then_committed_during_claim(conn, db_url):
    """The cancel holds its locks while the claim runs, then commits: the claim skips, later claims see it gone."""
    booking, reminder = book(conn)
    with psycopg.connect(db_url) as canceller:
        canceller.execute("SELECT scheduling.cancel_booking(%s, 'race', 'test', %s)", (booking, NOW))
        # The cancel is in flight (not committed): the claim must not wait and must not take the reminder.
        assert reminder_claims(claim(conn)) == []
        canceller.commit()
    assert reminder_claims(claim(conn)) == []
    assert state_of(conn, reminder) == "cancelled"


def test_cancel_commits_after_the_claim_statement_began(conn, db_url):
    """A cancel queued behind another lock on the session is in flight while the claim runs, then commits.

    A third transaction holds the session row; the cancel waits behind it. The claim, meanwhile, neither waits
    nor takes the reminder (SKIP LOCKED on the session). When the holder ends the cancel commits, and every
    later claim finds the row cancelled.
    """
    booking, reminder = book(conn)
    results: dict[str, object] = {}
    with psycopg.connect(db_url) as holder, psycopg.connect(db_url) as canceller:
        # The session row is held FOR UPDATE: the cancel waits for it (cancel_booking locks the session first).
        session = holder.execute("SELECT session_id FROM scheduling.bookings WHERE id = %s", (booking,)).fetchone()[0]
        holder.execute("SELECT 1 FROM scheduling.sessions WHERE id = %s FOR UPDATE", (session,))

        def cancel() -> None:
            try:
                canceller.execute("SELECT scheduling.cancel_booking(%s, 'race', 'test', %s)", (booking, NOW))
                canceller.commit()
                results["cancel"] = "committed"
            except Exception as exc:  # pragma: no cover - reported below
                results["cancel"] = exc

        worker = threading.Thread(target=cancel)
        worker.start()
        # While the session is locked the claim skips the row (SKIP LOCKED on its session) instead of waiting.
        assert reminder_claims(claim(conn)) == []
        holder.rollback()
        worker.join(timeout=30)
        assert not worker.is_alive(), "the cancel never finished"
        assert results["cancel"] == "committed"
    assert reminder_claims(claim(conn)) == []
    assert state_of(conn, reminder) == "cancelled"


def test_claim_in_flight_then_cancel(conn, db_url):
    """The claim holds the row (its transaction open) when the cancel arrives: the cancel waits for the claim,
    then closes the row; the worker's later record keeps it cancelled, and no later claim returns it."""
    booking, reminder = book(conn)
    with psycopg.connect(db_url) as claimer:
        rows = claimer.execute(
            "SELECT reminder_id, attempt_token FROM scheduling.claim_due_reminders('race', 50, '60 seconds', %s)"
            " WHERE kind = 'reminder'",
            (NOW,),
        ).fetchall()
        assert [str(r[0]) for r in rows] == [reminder]
        token = rows[0][1]
        done = threading.Event()

        def cancel() -> None:
            with psycopg.connect(db_url, autocommit=True) as canceller:
                canceller.execute("SELECT scheduling.cancel_booking(%s, 'race', 'test', %s)", (booking, NOW))
            done.set()

        worker = threading.Thread(target=cancel)
        worker.start()
        wait_until_blocked(conn)
        assert not done.is_set(), "the cancel must wait for the claim's locks"
        claimer.commit()
        worker.join(timeout=30)
        assert done.is_set()
    assert state_of(conn, reminder) == "cancelled"
    outcome = conn.execute(
        "SELECT scheduling.record_reminder_sent(%s, %s, 'wamid.race', %s)::text", (reminder, token, NOW)
    ).fetchone()[0]
    assert outcome == "cancelled"
    assert reminder_claims(claim(conn)) == []
