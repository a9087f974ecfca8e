"""Fault 3: the provider is down for a minute of real time, then back on the same port.

For the first 40 s nothing listens (connections refused), for the next 20 s it answers every request
503 with WhatsApp's 131016 "Service unavailable"; reminders fall due all along. The worker retries
each row on the database's backoff (5 s, 25 s, 125 s after the 1st, 2nd, 3rd failure), so the rows
that first failed at the start go out on their fourth attempt about 155 s in. Meanwhile one booking is
cancelled and one moved, both right after their reminder's first failed attempt.

This test runs on the real clock for about three minutes; it sleeps only for the outage itself.
"""

from __future__ import annotations

import time
from datetime import timedelta

import psycopg

from tests.fake_provider import Reply
from tests.faults.outbox import assert_delivered_once, book, cancel, due_in, reminder_keys, reschedule, settled
from tests.processes import output_of, start_worker, states, stop_worker, wait_for
from tests.seed import add_due_reminders

REFUSED_SECONDS = 40.0
UNAVAILABLE_SECONDS = 20.0
# Reminders falling due in the 503 phase: their 1st and 2nd attempts (5 s backoff, 6 s per-recipient
# spacing) both meet it, the 3rd (25 s later) the provider back up.
LATE_SECONDS = REFUSED_SECONDS + 5
BACKOFF = [5, 25, 125]  # seconds before the 2nd, 3rd and 4th attempt
# The retry is claimed no earlier than planned, and not much later (per-recipient spacing of 6 s, idle wake-ups).
SLACK_SECONDS = 10


def hold_until(moment: float) -> None:
    """The outage lasts until ``moment`` (time.monotonic): a sleep for the fault itself, not a wait."""
    time.sleep(max(0.0, moment - time.monotonic()))


def outbox_keys(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {row[0] for row in conn.execute("SELECT reminder_key FROM scheduling.reminders")}


def attempts_of(url: str, keys: set[str]) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return dict(
            conn.execute(
                "SELECT reminder_key, attempts FROM scheduling.reminders WHERE reminder_key = ANY(%s)", (list(keys),)
            ).fetchall()
        )


def history(url: str, key: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT h.from_state::text, h.to_state::text, h.happened_at, h.reason "
            "FROM scheduling.reminder_state_history AS h JOIN scheduling.reminders AS r ON r.id = h.reminder_id "
            "WHERE r.reminder_key = %s ORDER BY h.id",
            (key,),
        ).fetchall()


def test_provider_down_for_a_minute_then_back(db_url, fake):
    worker = start_worker(db_url, fake.cloud_env())
    try:
        wait_for(lambda: " started: " in output_of(worker), "the worker to start", workers=(worker,))
        down_at = time.monotonic()
        fake.refuse_connections()
        # Due at once (booked an hour ago, 30 minutes before their start): 4 reminders.
        add_due_reminders(db_url, 4)
        early = outbox_keys(db_url)
        with psycopg.connect(db_url, autocommit=True) as conn:
            # Due a second later: the booking to cancel and the one to move.
            cancelled, moved = book(conn, 1, due_in(conn, 1)), book(conn, 2, due_in(conn, 1))
            never = set(reminder_keys(conn, cancelled)) | set(reminder_keys(conn, moved))
            # Due when the provider answers 503.
            for number in (3, 4, 5):
                book(conn, number, due_in(conn, LATE_SECONDS))
        late = outbox_keys(db_url) - early - never
        assert len(early) == 4 and len(never) == 2 and len(late) == 3

        # During the outage: cancel one booking, move another, each after its reminder's first failure.
        wait_for(lambda: all(n >= 1 for n in attempts_of(db_url, never).values()), "first failures", workers=(worker,))
        with psycopg.connect(db_url, autocommit=True) as conn:
            cancel(conn, cancelled)
            reschedule(conn, moved, due_in(conn, LATE_SECONDS - (time.monotonic() - down_at)))
            moved_to = set(reminder_keys(conn, moved)) - never
        assert len(moved_to) == 1

        hold_until(down_at + REFUSED_SECONDS)
        fake.outage = Reply(503, 131016, "Service unavailable")
        fake.accept_connections()
        hold_until(down_at + REFUSED_SECONDS + UNAVAILABLE_SECONDS)
        fake.outage = None
        back_at = time.monotonic()
        unavailable_answers = sum(fake.attempts.values())
        assert not fake.accepted, "nothing got through during the outage"

        wait_for(lambda: settled(db_url) and states(db_url)["sent"] == 9, "everything sent", 150, workers=(worker,))
        done_at = time.monotonic()
    finally:
        code, out = stop_worker(worker)
    assert code == 0, out
    assert "will retry: connect" in out and "will retry: 131016" in out, out

    # 4 early + 3 late reminders, the moved booking's new one, the cancellation message.
    delivery = assert_delivered_once(db_url, fake, never=never)
    assert len(delivery.sent) == 9 and moved_to <= delivery.sent and (early | late) <= delivery.sent
    assert not delivery.uncertain, "a refused connection or a 503 is a certain failure"
    assert unavailable_answers >= 2 * len(late), "the 503 phase was met"

    with psycopg.connect(db_url) as conn:
        gave_up = conn.execute(
            "SELECT count(*) FROM scheduling.reminder_state_history WHERE to_state IN ('failed', 'expired')"
        ).fetchone()[0]
        rows = {
            key: (attempts, error_code, next_attempt_at)
            for key, attempts, error_code, next_attempt_at in conn.execute(
                "SELECT reminder_key, attempts, last_error_code, next_attempt_at FROM scheduling.reminders"
            )
        }
    assert gave_up == 0, "nothing failed permanently"
    for key in early:
        attempts, error_code, next_attempt_at = rows[key]
        assert (attempts, error_code) == (4, "connect"), (key, rows[key])
        steps = history(db_url, key)
        claims = [at for _, to_state, at, _ in steps if to_state == "leased"]
        failures = [
            (at, reason)
            for from_state, to_state, at, reason in steps
            if (from_state, to_state) == ("leased", "pending")
        ]
        assert len(claims) == 4 and len(failures) == 3, steps
        for n, ((failed_at, reason), claimed_again_at, delay) in enumerate(
            zip(failures, claims[1:], BACKOFF, strict=True), 1
        ):
            assert reason.startswith(f"retry {n} of 5 at "), reason
            waited = (claimed_again_at - failed_at).total_seconds()
            assert delay <= waited <= delay + SLACK_SECONDS, f"{key}: retry {n} after {waited:.1f} s, planned {delay} s"
        assert next_attempt_at - failures[-1][0] == timedelta(seconds=BACKOFF[-1]), "the last backoff is kept"
    for key in late | moved_to:
        assert rows[key][:2] == (3, "131016"), (key, rows[key])
    print(
        f"\nFIGURES provider down: {unavailable_answers} requests answered 503, "
        f"everything delivered {done_at - back_at:.0f} s after the provider came back "
        f"({done_at - down_at:.0f} s after it went down)"
    )
