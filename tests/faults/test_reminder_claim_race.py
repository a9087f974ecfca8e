"""Fault 6: a booking cancelled or rescheduled while its reminder is being claimed.

Whichever commits first, and in either order, the reminder of the cancelled booking, or of the moved
booking's old slot, is never handed out by a claim once the change has committed (so never sent), and a
move plans the new slot's reminders. Real PostgreSQL, two or three connections, no sleeps: the
interleavings are forced with open transactions and row locks, and a wait on a lock is observed in
pg_stat_activity (a bounded poll).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import psycopg

from tests.helpers import wait_until_blocked

NOW = datetime(2031, 7, 1, 8, 0, tzinfo=UTC)
STARTS = NOW + timedelta(hours=1)


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


def claim(conn, at: datetime = NOW) -> list[tuple]:
    return conn.execute(
        "SELECT reminder_id, kind FROM scheduling.claim_due_reminders('race', 50, '60 seconds', %s)", (at,)
    ).fetchall()


def reminder_claims(rows) -> list:
    return [row for row in rows if row[1] == "reminder"]


def change_while_claimed(conn, db_url: str, reminder: str, change, function: str):
    """Claim the reminder in a transaction left open, run ``change`` (which calls ``function``) on another
    connection, check that it waits for the claim's locks, commit the claim, let the change finish; returns the
    claim's attempt token."""
    with psycopg.connect(db_url) as claimer:
        rows = claimer.execute(
            "SELECT reminder_id, attempt_token FROM scheduling.claim_due_reminders('race', 50, '60 seconds', %s)"
            " WHERE kind = 'reminder'",
            (NOW,),
        ).fetchall()
        assert [str(r[0]) for r in rows] == [reminder]
        done = threading.Event()

        def run() -> None:
            with psycopg.connect(db_url, autocommit=True) as other:
                change(other)
            done.set()

        worker = threading.Thread(target=run)
        worker.start()
        wait_until_blocked(conn, function)
        assert not done.is_set(), f"{function} must wait for the claim's locks"
        claimer.commit()
        worker.join(timeout=30)
        assert done.is_set(), f"{function} never finished"
    return rows[0][1]


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
        wait_until_blocked(conn, "cancel_booking")
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

    def cancel(canceller) -> None:
        canceller.execute("SELECT scheduling.cancel_booking(%s, 'race', 'test', %s)", (booking, NOW))

    token = change_while_claimed(conn, db_url, reminder, cancel, "cancel_booking")
    assert state_of(conn, reminder) == "cancelled"
    outcome = conn.execute(
        "SELECT scheduling.record_reminder_sent(%s, %s, 'wamid.race', %s)::text", (reminder, token, NOW)
    ).fetchone()[0]
    assert outcome == "cancelled"
    assert reminder_claims(claim(conn)) == []


# ---- reschedule -------------------------------------------------------------------------------------------
# The new slot starts at NOW + 2 hours: its one-hour reminder falls due at NOW + 1 hour.
NEW_STARTS = STARTS + timedelta(hours=1)
RESCHEDULE = "SELECT scheduling.reschedule_booking(%s, %s, %s, 'race', %s)"


def reschedule(conn, booking: str) -> None:
    conn.execute(RESCHEDULE, (booking, NEW_STARTS, NEW_STARTS + timedelta(minutes=30), NOW))


def new_slot_reminders(conn, booking: str) -> list[tuple]:
    """The moved booking's reminders of slot 2: (id, key, state, due_at)."""
    return conn.execute(
        "SELECT id::text, reminder_key, state::text, due_at FROM scheduling.reminders "
        "WHERE booking_id = %s AND kind = 'reminder' AND slot_version = 2",
        (booking,),
    ).fetchall()


def assert_moved(conn, booking: str, old_reminder: str, *, claimed_at: datetime) -> None:
    """The old slot's reminder is closed and no claim, then or later, hands it out; the new slot's is planned,
    due an hour before the new start, and is what a claim hands out once it is due."""
    assert state_of(conn, old_reminder) == "cancelled"
    planned = new_slot_reminders(conn, booking)
    assert [(state, due) for _, _, state, due in planned] == [("pending", NEW_STARTS - timedelta(hours=1))]
    for at in (claimed_at, NEW_STARTS - timedelta(hours=1) + timedelta(minutes=5)):
        handed_out = {str(row[0]) for row in reminder_claims(claim(conn, at))}
        assert old_reminder not in handed_out, f"the old slot's reminder was claimed at {at}"
    assert state_of(conn, planned[0][0]) == "leased", "the new slot's reminder was claimed once due"


def test_reschedule_in_flight_then_committed_during_claim(conn, db_url):
    """The move holds its locks (not committed) while the claim runs: the claim neither waits nor takes the old
    reminder; once the move commits, only the new slot's reminder is ever handed out."""
    booking, reminder = book(conn)
    with psycopg.connect(db_url) as mover:
        reschedule(mover, booking)
        assert reminder_claims(claim(conn)) == []
        mover.commit()
    assert_moved(conn, booking, reminder, claimed_at=NOW)


def test_reschedule_commits_after_the_claim_statement_began(conn, db_url):
    """A move queued behind another lock on the session is in flight while the claim runs, then commits."""
    booking, reminder = book(conn)
    results: dict[str, object] = {}
    with psycopg.connect(db_url) as holder, psycopg.connect(db_url) as mover:
        session = holder.execute("SELECT session_id FROM scheduling.bookings WHERE id = %s", (booking,)).fetchone()[0]
        holder.execute("SELECT 1 FROM scheduling.sessions WHERE id = %s FOR UPDATE", (session,))

        def move() -> None:
            try:
                reschedule(mover, booking)
                mover.commit()
                results["move"] = "committed"
            except Exception as exc:  # pragma: no cover - reported below
                results["move"] = exc

        worker = threading.Thread(target=move)
        worker.start()
        wait_until_blocked(conn, "reschedule_booking")
        assert reminder_claims(claim(conn)) == [], "the claim skips the locked session instead of waiting"
        holder.rollback()
        worker.join(timeout=30)
        assert not worker.is_alive(), "the move never finished"
        assert results["move"] == "committed"
    assert_moved(conn, booking, reminder, claimed_at=NOW)


def test_claim_in_flight_then_reschedule(conn, db_url):
    """The claim holds the old slot's reminder (its transaction open) when the move arrives: the move waits for
    it, then cancels the leased row and plans the new slot; the worker's late record keeps the row cancelled."""
    booking, reminder = book(conn)
    token = change_while_claimed(conn, db_url, reminder, lambda mover: reschedule(mover, booking), "reschedule_booking")
    outcome = conn.execute(
        "SELECT scheduling.record_reminder_sent(%s, %s, 'wamid.race', %s)::text", (reminder, token, NOW)
    ).fetchone()[0]
    assert outcome == "cancelled", "sent before the move committed: recorded, but the row stays cancelled"
    # The claim above paced this person until NOW + 6 s: look again after that.
    assert_moved(conn, booking, reminder, claimed_at=NOW + timedelta(seconds=10))
