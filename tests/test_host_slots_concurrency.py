"""50 concurrent book_next_available_slot calls for one host book 50 different, non-overlapping slots.

Fifty threads, each with its own connection, start together on a barrier (tests/races.py) and ask for the next
free hour of one host (working Monday to Friday 08:00-18:00, Europe/Berlin) for fifty different people. Each call
takes the host's time lock first, so the second caller waits and then sees the first one's session: every call
succeeds, the slots are the first fifty free hours in time order, and no two sessions of the host overlap.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import psycopg

from tests.races import race_rounds

CLIENTS = 50
NOW = datetime(2031, 4, 1, 0, 0, tzinfo=UTC)  # a Tuesday
WEEKDAYS = '{"mon": ["08:00-18:00"], "tue": ["08:00-18:00"], "wed": ["08:00-18:00"], "thu": ["08:00-18:00"], ' + (
    '"fri": ["08:00-18:00"]}'
)


def test_concurrent_next_slot_bookings_take_different_slots(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as admin:
        admin.execute("SELECT set_config('sessionkeeper.simulated_time', 'on', FALSE)")
        host = admin.execute("SELECT scheduling.create_person('Host', NULL, 'Europe/Berlin')").fetchone()[0]
        admin.execute("SELECT scheduling.set_working_hours(%s, %s, 'race', %s)", (host, WEEKDAYS, NOW))
        people = [
            admin.execute("SELECT scheduling.create_person(%s, NULL, 'Europe/Berlin')", (f"Client {n}",)).fetchone()[0]
            for n in range(CLIENTS)
        ]
        expected = [
            row[0]
            for row in admin.execute(
                "SELECT starts_at FROM scheduling.free_slots(%s, %s, %s + interval '30 days', '1 hour', NULL, %s) "
                "ORDER BY starts_at LIMIT %s",
                (host, NOW, NOW, NOW, CLIENTS),
            ).fetchall()
        ]
        assert len(expected) == CLIENTS

        def book(conn: psycopg.Connection, index: int, _round: object) -> str:
            conn.execute("SELECT set_config('sessionkeeper.simulated_time', 'on', FALSE)")
            starts_at = conn.execute(
                "SELECT starts_at FROM scheduling.book_next_available_slot("
                "%s, %s, '1 hour', p_actor => 'race', p_now => %s)",
                (host, people[index], NOW),
            ).fetchone()[0]
            return starts_at.isoformat()

        def check(_round_no: int, _round: object, outcomes: list[str]) -> None:
            wanted = {slot.isoformat() for slot in expected}
            errors = [outcome for outcome in outcomes if outcome not in wanted]  # SQLSTATEs, if any
            assert errors == [], errors[:3]
            assert sorted(outcomes) == sorted(wanted), "the first fifty free hours, each taken once"

        race_rounds(db_url, clients=CLIENTS, rounds=1, prepare=lambda _round_no: None, attempt=book, check=check)

        sessions = admin.execute(
            "SELECT starts_at, ends_at FROM scheduling.sessions WHERE host_id = %s AND status = 'scheduled' "
            "ORDER BY starts_at",
            (host,),
        ).fetchall()
        assert len(sessions) == CLIENTS
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(sessions)), "no two sessions overlap"
        assert (
            admin.execute(
                "SELECT count(DISTINCT person_id) FROM scheduling.bookings b JOIN scheduling.sessions s "
                "ON s.id = b.session_id WHERE s.host_id = %s AND b.status = 'confirmed'",
                (host,),
            ).fetchone()[0]
            == CLIENTS
        )
