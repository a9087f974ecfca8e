"""Webhook calls racing each other and the worker, in SQL: nothing lost, nothing cancelled twice.

Two connections, real PostgreSQL, no sleeps: one transaction is held open, the other call runs in a thread until
pg_stat_activity shows it waiting on a lock, then the first commits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg

from tests.helpers import wait_until_blocked

NOW = datetime(2031, 7, 1, 8, 0, tzinfo=UTC)
PHONE = "+4915112345679"


def book(conn, person: str, host: str, starts: datetime) -> str:
    return str(
        conn.execute(
            "SELECT scheduling.create_appointment(%s, %s, 'Haircut', %s, %s, p_now => %s)",
            (host, person, starts, starts + timedelta(minutes=30), NOW - timedelta(days=1)),
        ).fetchone()[0]
    )


def people(conn) -> tuple[str, str]:
    host = conn.execute("SELECT scheduling.create_person('Host', '+4915112345678', 'Europe/Berlin')").fetchone()[0]
    person = conn.execute("SELECT scheduling.create_person('Ann', %s, 'Europe/Berlin', TRUE)", (PHONE,)).fetchone()[0]
    return str(person), str(host)


def claimed_reminder(conn) -> tuple[str, str]:
    """Ann's booking an hour from NOW; its reminder (default policy: 1 hour before) claimed: id and token."""
    person, host = people(conn)
    booking = book(conn, person, host, NOW + timedelta(hours=1))
    rows = conn.execute(
        "SELECT reminder_id, attempt_token FROM scheduling.claim_due_reminders('w', 50, '60 seconds', %s)", (NOW,)
    ).fetchall()
    assert len(rows) == 1, booking
    return str(rows[0][0]), str(rows[0][1])


def in_thread(call: Callable[[], object]) -> tuple[threading.Thread, dict[str, object]]:
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["value"] = call()
        except Exception as problem:  # reported by the assertions on result
            result["value"] = problem

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def call_in_own_connection(db_url: str, sql: str, params: tuple) -> object:
    with psycopg.connect(db_url, autocommit=True) as other:
        return other.execute(sql, params).fetchone()[0]


def delivery(conn, reminder: str) -> tuple:
    return conn.execute(
        "SELECT state::text, delivery_status::text, delivered_at FROM scheduling.reminders WHERE id = %s",
        (reminder,),
    ).fetchone()


REPORT = "SELECT scheduling.record_delivery_status('whatsapp', 'wamid.RACE', 'delivered', %s, p_now => %s)"
RECORD = "SELECT scheduling.record_reminder_sent(%s, %s, 'wamid.RACE', %s)::text"


def test_report_while_the_send_is_being_recorded_waits_and_is_applied(conn, db_url):
    """The worker has stored the provider id but not committed: the report waits for it, then matches it."""
    reminder, token = claimed_reminder(conn)
    delivered_at = NOW + timedelta(seconds=5)
    with psycopg.connect(db_url) as worker:
        assert worker.execute(RECORD, (reminder, token, NOW)).fetchone()[0] == "sent"
        thread, result = in_thread(
            lambda: call_in_own_connection(db_url, REPORT, (delivered_at, NOW + timedelta(seconds=6)))
        )
        wait_until_blocked(conn, "record_delivery_status")
        assert "value" not in result, "the report must wait for the worker's transaction"
        worker.commit()
        thread.join(timeout=30)
    assert result["value"] == "applied"
    assert delivery(conn, reminder) == ("sent", "delivered", delivered_at)


def test_send_recorded_while_a_report_is_being_stored_applies_it(conn, db_url):
    """The report came first and is not committed yet: the worker's record waits for it, then applies it."""
    reminder, token = claimed_reminder(conn)
    delivered_at = NOW + timedelta(seconds=5)
    with psycopg.connect(db_url) as webhook:
        assert webhook.execute(REPORT, (delivered_at, NOW + timedelta(seconds=6))).fetchone()[0] == "unmatched"
        thread, result = in_thread(lambda: call_in_own_connection(db_url, RECORD, (reminder, token, NOW)))
        wait_until_blocked(conn, "record_reminder_sent")
        assert "value" not in result, "the worker's record must wait for the report's transaction"
        webhook.commit()
        thread.join(timeout=30)
    assert result["value"] == "sent"
    assert delivery(conn, reminder) == ("sent", "delivered", delivered_at)
    assert conn.execute(
        "SELECT outcome, reminder_id::text FROM scheduling.provider_events WHERE provider_message_id = 'wamid.RACE'"
    ).fetchall() == [("applied", reminder)]


CANCEL = "SELECT scheduling.record_inbound_message('whatsapp', %s, %s, 'CANCEL', p_now => %s)"


def two_bookings(conn) -> tuple[str, str]:
    person, host = people(conn)
    return book(conn, person, host, NOW + timedelta(days=1)), book(conn, person, host, NOW + timedelta(days=2))


def statuses(conn, *bookings: str) -> list[str]:
    return [
        conn.execute("SELECT status::text FROM scheduling.bookings WHERE id = %s", (b,)).fetchone()[0] for b in bookings
    ]


def test_concurrent_replays_of_one_cancel_cancel_once(conn, db_url):
    """The same CANCEL delivered twice at once: the second waits for the first, then returns its outcome."""
    first, second = two_bookings(conn)
    with psycopg.connect(db_url) as webhook:
        outcome = webhook.execute(CANCEL, ("wamid.CANCEL", PHONE, NOW)).fetchone()[0]
        assert outcome == {"action": "cancelled_booking", "booking_id": first, "duplicate": False}
        thread, result = in_thread(lambda: call_in_own_connection(db_url, CANCEL, ("wamid.CANCEL", PHONE, NOW)))
        wait_until_blocked(conn, "record_inbound_message")
        assert "value" not in result, "the replay must wait for the first delivery's transaction"
        webhook.commit()
        thread.join(timeout=30)
    assert result["value"] == {"action": "cancelled_booking", "booking_id": first, "duplicate": True}
    assert statuses(conn, first, second) == ["cancelled", "confirmed"]
    assert conn.execute("SELECT count(*) FROM scheduling.inbound_messages").fetchone()[0] == 1


def test_a_booking_cancelled_meanwhile_is_not_replaced_by_the_next(conn, db_url):
    """Two different CANCEL messages at once pick the same next booking: the second finds it cancelled by the
    first and cancels nothing else (it does not move on to the booking after)."""
    first, second = two_bookings(conn)
    with psycopg.connect(db_url) as webhook:
        outcome = webhook.execute(CANCEL, ("wamid.ONE", PHONE, NOW)).fetchone()[0]
        assert outcome["booking_id"] == first
        thread, result = in_thread(lambda: call_in_own_connection(db_url, CANCEL, ("wamid.TWO", PHONE, NOW)))
        wait_until_blocked(conn, "record_inbound_message")
        webhook.commit()
        thread.join(timeout=30)
    assert result["value"] == {"action": "nothing_to_cancel", "booking_id": None, "duplicate": False}
    assert statuses(conn, first, second) == ["cancelled", "confirmed"]
