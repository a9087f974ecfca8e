"""`sessionkeeper reminders BOOKING_ID`: what an operator reads about one booking's outbox rows, every time in
the recipient's local time; --json keeps ISO times. The Python formatting matches the database's."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import psycopg

from runner.local_time import format_local_time
from runner.reminder_report import describe
from tests.helpers import run_cli

KOLKATA = "(Asia/Kolkata)"


def env_for(url: str) -> dict[str, str]:
    return {"SESSIONKEEPER_DATABASE_URL": url}


def _kolkata_booking_with_history(url: str) -> tuple[str, list[str]]:
    """An appointment in Kolkata on Monday 23 November 2026 at 10:00 (04:30Z) with reminders 3, 2 and 1 hours
    before: the first sent and delivered, the second failed, the third sent by worker w3 after the booking was
    cancelled while w3 held it (a cancellation message is queued). Returns the booking id and the three keys."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT scheduling.create_reminder_policy('three', '{3 hours, 2 hours, 1 hour}')")
        booking = str(
            conn.execute(
                """SELECT scheduling.create_appointment(
                    scheduling.create_person('Host', '+15550000000', 'UTC'),
                    scheduling.create_person('Priya', '+919812345678', 'Asia/Kolkata', TRUE),
                    'Consultation', '2026-11-23 04:30Z', '2026-11-23 05:00Z', 'three', 'test', '2026-11-20 00:00Z')"""
            ).fetchone()[0]
        )

        def claim(worker: str, at: str) -> tuple[str, str]:
            return conn.execute(
                "SELECT reminder_id, attempt_token FROM scheduling.claim_due_reminders(%s, 10, '5 minutes', %s)",
                (worker, at),
            ).fetchone()

        first = claim("w1", "2026-11-23 01:30Z")
        conn.execute("SELECT scheduling.record_reminder_sent(%s, %s, 'wamid.first', '2026-11-23 01:30:05Z')", first)
        conn.execute(
            "SELECT scheduling.record_delivery_status('whatsapp', 'wamid.first', 'delivered', "
            "'2026-11-23 01:30:09Z', p_now => '2026-11-23 01:30:10Z')"
        )
        second = claim("w2", "2026-11-23 02:30Z")
        conn.execute(
            "SELECT scheduling.record_reminder_failure(%s, %s, '131026', 'Message undeliverable', FALSE, "
            "'2026-11-23 02:30:05Z')",
            second,
        )
        third = claim("w3", "2026-11-23 03:30Z")
        conn.execute("SELECT scheduling.cancel_booking(%s, 'changed plans', 'ops', '2026-11-23 03:30:10Z')", (booking,))
        conn.execute("SELECT scheduling.record_reminder_sent(%s, %s, 'wamid.late', '2026-11-23 03:31Z')", third)
        keys = [
            conn.execute("SELECT reminder_key FROM scheduling.reminders WHERE id = %s", (row[0],)).fetchone()[0]
            for row in (first, second, third)
        ]
    return booking, keys


def _blocks(text: str) -> dict[str, str]:
    return {block.splitlines()[0].split()[0]: block for block in text.strip().split("\n\n")}


def test_text_output_shows_reason_provider_delivery_uncertain_in_local_time(db_url):
    booking, (sent, failed, late) = _kolkata_booking_with_history(db_url)
    result = run_cli("reminders", booking, env=env_for(db_url))
    assert result.returncode == 0, result.stderr
    blocks = _blocks(result.stdout)
    assert set(blocks) == {sent, failed, late, f"{booking}-cancellation-1"}, result.stdout

    assert "state: sent" in blocks[sent]
    assert "due:          Monday 23 November 2026, 07:00 (Asia/Kolkata)" in blocks[sent]
    assert "provider id:  wamid.first" in blocks[sent]
    assert "delivery:     delivered (delivered Monday 23 November 2026, 07:00 (Asia/Kolkata))" in blocks[sent]
    assert "UNCERTAIN" not in blocks[sent]

    assert "state: failed" in blocks[failed]
    assert "reason:       permanent error 131026" in blocks[failed]
    assert "last error:   131026: Message undeliverable" in blocks[failed]
    assert "due:          Monday 23 November 2026, 08:00 (Asia/Kolkata)" in blocks[failed]

    assert blocks[late].splitlines()[0] == f"{late}  [UNCERTAIN]"
    assert "state: cancelled" in blocks[late]
    assert (
        "reason:       booking cancelled: changed plans; sent by w3 at Monday 23 November 2026, 09:01 "
        "(Asia/Kolkata) after it was cancelled"
    ) in blocks[late]
    assert "provider id:  wamid.late" in blocks[late]
    assert "delivery:     no report yet" in blocks[late]
    assert "UNCERTAIN: may have reached the recipient" in blocks[late]

    # Every time shown is a Kolkata one; no raw UTC timestamp is left.
    assert result.stdout.count(KOLKATA) >= 8
    assert "+00" not in result.stdout and "T0" not in result.stdout and "(UTC)" not in result.stdout


def test_json_output_keeps_iso_times_and_has_the_new_fields(db_url):
    booking, (sent, failed, late) = _kolkata_booking_with_history(db_url)
    result = run_cli("reminders", booking, "--json", env=env_for(db_url))
    assert result.returncode == 0, result.stderr
    rows = {row["reminder_key"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert {row["recipient_time_zone"] for row in rows.values()} == {"Asia/Kolkata"}
    assert datetime.fromisoformat(rows[sent]["due_at"]) == datetime(2026, 11, 23, 1, 30, tzinfo=UTC)
    assert rows[sent]["delivery_status"] == "delivered" and rows[sent]["provider_message_id"] == "wamid.first"
    assert datetime.fromisoformat(rows[sent]["delivered_at"]) == datetime(2026, 11, 23, 1, 30, 9, tzinfo=UTC)
    assert rows[failed]["last_error"] == "131026: Message undeliverable"
    assert rows[late]["uncertain"] is True and rows[late]["state"] == "cancelled"
    assert rows[late]["state_reason"].endswith("after it was cancelled")
    assert rows[sent]["uncertain"] is False


def test_python_local_time_matches_the_database(db_url):
    moments = [
        datetime(2026, 11, 23, 4, 30, tzinfo=UTC),
        datetime(2026, 3, 29, 0, 59, tzinfo=UTC),  # just before Berlin's clocks go forward
        datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
        datetime(2031, 1, 1, 0, 0, tzinfo=UTC),
    ]
    zones = ["Asia/Kolkata", "Europe/Berlin", "Asia/Kathmandu", "America/St_Johns", None]
    with psycopg.connect(db_url) as conn:
        for moment in moments:
            for zone in zones:
                expected = conn.execute(
                    "SELECT scheduling_internal.format_local_time(%s, %s)", (moment, zone)
                ).fetchone()[0]
                assert format_local_time(moment, zone) == expected
    assert format_local_time(None, "Asia/Kolkata") is None


def test_a_next_attempt_is_shown_only_when_it_differs_from_the_due_time():
    due = datetime(2026, 11, 23, 3, 30, tzinfo=UTC)
    row = {
        "reminder_key": "k",
        "kind": "reminder",
        "state": "pending",
        "attempts": 1,
        "due_at": due,
        "next_attempt_at": due,
        "recipient_time_zone": "Asia/Kolkata",
    }
    assert "next attempt" not in describe(row)
    later = describe({**row, "next_attempt_at": due + timedelta(seconds=25)})
    assert "next attempt: Monday 23 November 2026, 09:00 (Asia/Kolkata)" in later
    failed = describe(
        {**row, "provider_message_id": "wamid.x", "delivery_status": "failed", "delivery_error_code": "131047"}
    )
    assert "delivery:     failed (error 131047)" in failed
