"""Bookings for the fault tests, and the check every one of them ends with.

The check compares two ledgers kept by different parties: the outbox (scheduling.reminders) and what
the fake provider accepted, counted by reminder key (the Cloud API's biz_opaque_callback_data).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg

from tests.fake_provider import FakeProvider

# States of a row that reached the provider: sent, and undelivered (a late delivery report of a final failure).
REACHED_PROVIDER = {"sent", "undelivered"}
# States a row may end a fault test in: it went out, or it was closed by a cancel or a move.
FINAL_STATES = REACHED_PROVIDER | {"cancelled"}


def customer_phone(number: int) -> str:
    """Distinct from tests.seed's customers (+1555...)."""
    return f"+1556{number:07d}"


def book(conn: psycopg.Connection, number: int, starts_at: datetime) -> str:
    """A 30-minute 1:1 appointment for customer ``number``, booked now; its one reminder (default policy)
    falls due one hour before ``starts_at``. Returns the booking id."""
    # A host of its own (no phone): appointments may start at once, and a host is in one session at a time.
    host = conn.execute("SELECT scheduling.create_person('Host', NULL, 'UTC')").fetchone()[0]
    person = conn.execute(
        "SELECT scheduling.create_person(%s, %s, 'Europe/Berlin', TRUE)", (f"Customer {number}", customer_phone(number))
    ).fetchone()[0]
    return str(
        conn.execute(
            "SELECT scheduling.create_appointment(%s, %s, 'Haircut', %s, %s, NULL, 'faults')",
            (host, person, starts_at, starts_at + timedelta(minutes=30)),
        ).fetchone()[0]
    )


def due_in(conn: psycopg.Connection, seconds: float) -> datetime:
    """The start of an appointment whose one-hour reminder falls due ``seconds`` from the server's now."""
    now = conn.execute("SELECT clock_timestamp()").fetchone()[0]
    return now + timedelta(hours=1, seconds=seconds)


def reminder_keys(conn: psycopg.Connection, booking: str) -> list[str]:
    return [
        row[0]
        for row in conn.execute(
            "SELECT reminder_key FROM scheduling.reminders WHERE booking_id = %s AND kind = 'reminder' ORDER BY seq, "
            "slot_version",
            (booking,),
        )
    ]


def cancel(conn: psycopg.Connection, booking: str) -> None:
    conn.execute("SELECT scheduling.cancel_booking(%s, 'fault test', 'faults')", (booking,))


def reschedule(conn: psycopg.Connection, booking: str, starts_at: datetime) -> None:
    conn.execute(
        "SELECT scheduling.reschedule_booking(%s, %s, %s, 'faults')",
        (booking, starts_at, starts_at + timedelta(minutes=30)),
    )


def keys_at(fake: FakeProvider) -> Counter:
    """How many times each reminder key reached the fake provider and was accepted."""
    return Counter(accepted.body["biz_opaque_callback_data"] for accepted in fake.accepted)


@dataclass(frozen=True)
class Row:
    state: str
    kind: str
    uncertain: bool
    attempts: int
    provider_message_id: str | None


def outbox(url: str) -> dict[str, Row]:
    with psycopg.connect(url) as conn:
        return {
            key: Row(*rest)
            for key, *rest in conn.execute(
                "SELECT reminder_key, state::text, kind::text, uncertain, attempts, provider_message_id "
                "FROM scheduling.reminders"
            )
        }


def settled(url: str) -> bool:
    """True once every outbox row has gone out or been closed (nothing pending, leased, failed ...)."""
    return all(row.state in FINAL_STATES for row in outbox(url).values())


@dataclass
class Delivery:
    at_fake: Counter
    sent: set[str]
    duplicated: set[str]
    uncertain: set[str]


def assert_delivered_once(
    url: str, fake: FakeProvider, *, never: set[str], at_most: dict[str, int] | None = None
) -> Delivery:
    """Nothing lost, nothing sent that should not be:

    * every row ended sent (or undelivered) or cancelled (none pending, leased, failed, expired or skipped);
    * every sent or undelivered row reached the fake, under the provider id recorded for it, exactly once; twice at
      most, and only when the row is marked uncertain (a send in flight when a worker died);
    * the fake got nothing the outbox does not know;
    * the keys in ``never`` (rows of bookings cancelled or moved during the fault) exist, are cancelled,
      and never reached the fake; any other cancelled row reached it at most ``at_most[key]`` times (0
      unless given: a send in flight when a worker died, before the cancel).
    """
    at_most = at_most or {}
    rows = outbox(url)
    at_fake = keys_at(fake)
    problems = {key: row.state for key, row in rows.items() if row.state not in FINAL_STATES}
    assert not problems, f"rows neither sent nor cancelled: {problems}"
    assert set(at_fake) <= set(rows), f"the fake got keys the outbox does not know: {set(at_fake) - set(rows)}"
    message_ids = {accepted.message_id for accepted in fake.accepted}
    sent = {key for key, row in rows.items() if row.state in REACHED_PROVIDER}
    for key in sent:
        row = rows[key]
        assert 1 <= at_fake[key] <= (2 if row.uncertain else 1), f"{key} reached the fake {at_fake[key]} times"
        assert row.provider_message_id in message_ids, f"{key}: recorded provider id unknown to the fake"
    for key in never:
        assert key in rows and rows[key].state == "cancelled", f"{key}: {rows.get(key)}"
        assert at_fake[key] == 0, f"{key} was sent after its booking was cancelled or moved"
    for key, row in rows.items():
        if row.state == "cancelled":
            assert at_fake[key] <= at_most.get(key, 0), f"cancelled {key} reached the fake {at_fake[key]} times"
    return Delivery(
        at_fake=at_fake,
        sent=sent,
        duplicated={key for key, count in at_fake.items() if count > 1},
        uncertain={key for key, row in rows.items() if row.uncertain},
    )
