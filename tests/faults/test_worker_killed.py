"""Fault 1: the worker is SIGKILLed while sends are in flight.

A killed worker records nothing: the rows it held stay leased until their lease ends, then another
worker claims them again, flagged uncertain (the provider may have got them). Between the kill and the
recovery one waiting booking is cancelled, one is moved, and one whose send was in flight is cancelled.
"""

from __future__ import annotations

import time

import psycopg

from tests.faults.outbox import assert_delivered_once, cancel, due_in, reminder_keys, reschedule, settled
from tests.processes import kill, start_worker, states, stop_worker, wait_for
from tests.seed import add_due_reminders

TOTAL = 30


def test_a_killed_worker_loses_nothing_and_possible_duplicates_are_marked(db_url, fake):
    add_due_reminders(db_url, TOTAL)
    fake.default_delay = 1.0  # every send takes a second: the kill finds a batch in flight
    doomed = start_worker(
        db_url, fake.cloud_env(), "--worker-id", "doomed", "--lease", "5", "--lanes", "1", "--batch-size", "10"
    )
    try:
        wait_for(lambda: sum(fake.attempts.values()) >= 5, "sends in flight", workers=(doomed,))
    finally:
        killed_at = time.monotonic()
        kill(doomed)
    fake.default_delay = 0.0

    with psycopg.connect(db_url, autocommit=True) as conn:
        # Rows the dead worker held (sent, or about to be, but never recorded), and rows still waiting.
        held = dict(
            conn.execute(
                "SELECT r.reminder_key, r.booking_id::text FROM scheduling.reminders AS r "
                "WHERE r.state = 'leased' AND r.leased_by = 'doomed'"
            ).fetchall()
        )
        waiting = [
            row[0]
            for row in conn.execute(
                "SELECT booking_id::text FROM scheduling.reminders WHERE state = 'pending' ORDER BY reminder_key"
            )
        ]
        assert held and len(waiting) >= 2, (held, waiting)
        phones = dict(
            conn.execute(
                "SELECT r.reminder_key, p.phone FROM scheduling.reminders AS r "
                "JOIN scheduling.people AS p ON p.id = r.person_id"
            ).fetchall()
        )
        in_flight = {key for key in held if fake.attempts[phones[key].lstrip("+")] > 0}
        assert in_flight, "the kill found sends in flight"

        # During the fault: cancel a waiting booking, move another, cancel one whose send was in flight.
        cancelled, moved = waiting[0], waiting[1]
        cancelled_in_flight_key = sorted(in_flight)[0]
        cancelled_in_flight = held[cancelled_in_flight_key]
        never = set(reminder_keys(conn, cancelled)) | set(reminder_keys(conn, moved))
        requests_before_cancel = fake.attempts[phones[cancelled_in_flight_key].lstrip("+")]
        cancel(conn, cancelled)
        cancel(conn, cancelled_in_flight)
        reschedule(conn, moved, due_in(conn, 2))
        new_keys = set(reminder_keys(conn, moved)) - never
        assert len(new_keys) == 1, "the new slot's reminder is planned"

    survivor = start_worker(db_url, fake.cloud_env(), "--lease", "5")
    try:
        wait_for(lambda: settled(db_url), "every row sent or cancelled after the crash", workers=(survivor,))
        recovered_after = time.monotonic() - killed_at
    finally:
        code, out = stop_worker(survivor)
    assert code == 0, out

    delivery = assert_delivered_once(
        db_url, fake, never=never, at_most={cancelled_in_flight_key: requests_before_cancel}
    )
    assert new_keys <= delivery.sent
    # TOTAL reminders, less the two cancelled and the moved one's old slot, plus its new slot and two
    # cancellation messages.
    assert len(delivery.sent) == TOTAL - 3 + 1 + 2 == states(db_url)["sent"]
    assert delivery.duplicated <= delivery.uncertain, "every possible duplicate is marked uncertain"
    assert delivery.uncertain <= set(held) - {cancelled_in_flight_key}, "only rows the dead worker held"
    assert delivery.uncertain == set(held) - {cancelled_in_flight_key}, "each row it held was claimed again"
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT uncertain FROM scheduling.queue_stats").fetchone()[0] == len(delivery.uncertain)
    print(
        f"\nFIGURES kill: {len(held)} rows held by the killed worker, {len(in_flight)} requests in flight, "
        f"{len(delivery.duplicated)} duplicates at the provider, {len(delivery.uncertain)} rows marked uncertain, "
        f"all settled {recovered_after:.1f} s after the kill (lease 5 s)"
    )
