"""A host is in one session at a time, however many callers race for the same slot.

Fifty threads, each with its own connection, call scheduling.create_appointment for the same host and the same
half hour at once (tests/races.py), each for a different customer; 100 rounds, a new slot each. Exactly one
appointment is made per round and the other 49 callers get SK059 (the host is busy, naming the winner's
session), never the bare exclusion violation; the database holds exactly one live session and one booking per slot.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg

from tests.races import race_rounds

CLIENTS = 50
ROUNDS = 100
NOW = datetime(2031, 4, 1, 8, 0, tzinfo=UTC)
FIRST_SLOT = datetime(2031, 6, 2, 8, 0, tzinfo=UTC)
SLOT = timedelta(minutes=30)


def test_concurrent_appointments_for_one_slot_make_exactly_one(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as admin:
        host = admin.execute("SELECT scheduling.create_person('Amira', NULL, 'Europe/Berlin')").fetchone()[0]
        customers = [
            admin.execute(
                "SELECT scheduling.create_person(%s, NULL, 'Europe/Berlin', TRUE)", (f"Customer {n}",)
            ).fetchone()[0]
            for n in range(CLIENTS)
        ]

        def slot(round_no: int) -> datetime:
            return FIRST_SLOT + round_no * SLOT

        def book(conn: psycopg.Connection, index: int, starts: datetime) -> str:
            conn.execute(
                "SELECT scheduling.create_appointment(%s, %s, 'Haircut', %s, %s, NULL, 'race', %s)",
                (host, customers[index], starts, starts + SLOT, NOW),
            )
            return "booked"

        def check(round_no: int, starts: datetime, outcomes: list[str]) -> None:
            assert outcomes.count("booked") == 1, (round_no, sorted(set(outcomes)))
            assert outcomes.count("SK059") == CLIENTS - 1, (round_no, sorted(set(outcomes)))
            sessions, bookings = admin.execute(
                "SELECT count(DISTINCT s.id), count(b.id) FROM scheduling.sessions AS s"
                " LEFT JOIN scheduling.bookings AS b ON b.session_id = s.id"
                " WHERE s.host_id = %s AND s.starts_at = %s AND s.status = 'scheduled'",
                (host, starts),
            ).fetchone()
            assert (sessions, bookings) == (1, 1), round_no

        race_rounds(db_url, clients=CLIENTS, rounds=ROUNDS, prepare=slot, attempt=book, check=check)

        total = admin.execute("SELECT count(*) FROM scheduling.sessions WHERE host_id = %s", (host,)).fetchone()[0]
        assert total == ROUNDS


def test_the_losers_error_names_the_winning_session(db_url: str) -> None:
    """What a caller who lost the race reads: SK059, the host's name and the other session's id in DETAIL."""
    with psycopg.connect(db_url, autocommit=True) as admin:
        host = admin.execute("SELECT scheduling.create_person('Amira', NULL, 'Europe/Berlin')").fetchone()[0]
        ann, bob = (
            admin.execute("SELECT scheduling.create_person(%s, NULL, 'Europe/Berlin', TRUE)", (name,)).fetchone()[0]
            for name in ("Ann", "Bob")
        )
        call = "SELECT scheduling.create_appointment(%s, %s, 'Haircut', %s, %s, NULL, 'app', %s)"
        admin.execute(call, (host, ann, FIRST_SLOT, FIRST_SLOT + SLOT, NOW))
        winner = admin.execute("SELECT id FROM scheduling.sessions WHERE host_id = %s", (host,)).fetchone()[0]
        try:
            admin.execute(call, (host, bob, FIRST_SLOT + SLOT / 2, FIRST_SLOT + 2 * SLOT, NOW))
        except psycopg.Error as error:
            assert error.sqlstate == "SK059"
            assert error.diag.message_primary.startswith("Amira (host ")
            assert error.diag.message_detail == f"busy_session_id={winner}"
        else:
            raise AssertionError("an overlapping appointment was accepted")
