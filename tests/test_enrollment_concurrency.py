"""50 concurrent enrollments into a 10-seat session admit exactly 10, whatever the interleaving.

Fifty threads, each with its own connection (opened once, reused every round), start together on a barrier
(tests/races.py) and call scheduling.enroll(..., p_waitlist => false) for distinct people; 100 rounds, a fresh
session each.
Exactly 10 get a seat, the other 40 get SK012, and the database agrees: 10 confirmed bookings and
current_attendees = 10.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import psycopg

from tests.helpers import wait_until_blocked
from tests.races import race_rounds

CLIENTS = 50
SEATS = 10
ROUNDS = 100
NOW = datetime(2031, 4, 1, 8, 0, tzinfo=UTC)
FIRST_DAY = datetime(2031, 6, 1, 9, 0, tzinfo=UTC)


def contended_workshop(admin: psycopg.Connection, who: str, phone_prefix: str, title: str, run_name: str):
    """CLIENTS people with consent, a workshop of SEATS seats (with its host) and its first run."""
    host = admin.execute("SELECT scheduling.create_person('Host', '+4915100000000', 'Europe/Berlin')").fetchone()[0]
    people = [
        admin.execute(
            "SELECT scheduling.create_person(%s, %s, 'Europe/Berlin', TRUE)", (f"{who} {n}", f"{phone_prefix}{n:08d}")
        ).fetchone()[0]
        for n in range(1, CLIENTS + 1)
    ]
    workshop = admin.execute(
        "SELECT scheduling.create_workshop(%s, %s, %s, 'Europe/Berlin')", (host, title, SEATS)
    ).fetchone()[0]
    run = admin.execute(
        "SELECT scheduling.create_workshop_run(%s, %s, %s)", (workshop, run_name, FIRST_DAY.date())
    ).fetchone()[0]
    return people, workshop, run


def test_concurrent_enrollments_never_overbook(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as admin:
        people, workshop, run = contended_workshop(admin, "Student", "+49151", "Contended workshop", "Race batch")

        def new_session(round_no: int) -> str:
            starts = FIRST_DAY + timedelta(days=round_no)
            return admin.execute(
                "SELECT scheduling.add_workshop_session(%s, %s, %s, %s, p_now => %s)",
                (run, round_no + 1, starts, starts + timedelta(hours=2), NOW),
            ).fetchone()[0]

        def enroll(conn: psycopg.Connection, index: int, session_id: str) -> str:
            conn.execute(
                "SELECT * FROM scheduling.enroll(%s, %s, p_waitlist => FALSE, p_actor => 'race', p_now => %s)",
                (session_id, people[index], NOW),
            )
            return "confirmed"

        def check(round_no: int, session_id: str, outcomes: list[str]) -> None:
            assert outcomes.count("confirmed") == SEATS, (round_no, sorted(set(outcomes)))
            assert outcomes.count("SK012") == CLIENTS - SEATS, (round_no, sorted(set(outcomes)))
            confirmed, attendees = admin.execute(
                "SELECT (SELECT count(*) FROM scheduling.bookings AS b"
                " WHERE b.session_id = s.id AND b.status = 'confirmed'), s.current_attendees"
                " FROM scheduling.sessions AS s WHERE s.id = %s",
                (session_id,),
            ).fetchone()
            assert (confirmed, attendees) == (SEATS, SEATS), round_no

        race_rounds(db_url, clients=CLIENTS, rounds=ROUNDS, prepare=new_session, attempt=enroll, check=check)

        overbooked = admin.execute(
            "SELECT count(*) FROM scheduling.session_availability"
            " WHERE workshop_id = %s AND current_attendees > capacity",
            (workshop,),
        ).fetchone()[0]
        assert overbooked == 0


def test_concurrent_book_next_available_fills_sessions_in_order(db_url: str) -> None:
    """50 callers of book_next_available against three 10-seat days: 30 seats taken, 20 SK032, none overbooked."""
    with psycopg.connect(db_url, autocommit=True) as admin:
        people, workshop, run = contended_workshop(admin, "Buyer", "+49152", "Order flow", "Order batch")
        for day in range(3):
            starts = FIRST_DAY + timedelta(days=day)
            admin.execute(
                "SELECT scheduling.add_workshop_session(%s, %s, %s, %s, p_now => %s)",
                (run, day + 1, starts, starts + timedelta(hours=2), NOW),
            )

        outcomes: list[str] = []
        lock = threading.Lock()
        start = threading.Barrier(CLIENTS, timeout=60)

        def worker(index: int) -> None:
            with psycopg.connect(db_url, autocommit=True) as conn:
                start.wait()
                try:
                    conn.execute(
                        "SELECT * FROM scheduling.book_next_available(%s, %s, %s, 'race', %s)",
                        (workshop, people[index], f"ORD-{index}", NOW),
                    )
                    outcome = "booked"
                except psycopg.Error as error:
                    outcome = error.sqlstate or repr(error)
                with lock:
                    outcomes.append(outcome)

        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert outcomes.count("booked") == 3 * SEATS, sorted(set(outcomes))
        assert outcomes.count("SK032") == CLIENTS - 3 * SEATS, sorted(set(outcomes))
        rows = admin.execute(
            "SELECT day_number, current_attendees, capacity FROM scheduling.session_availability"
            " WHERE workshop_id = %s ORDER BY day_number",
            (workshop,),
        ).fetchall()
        assert rows == [(1, SEATS, SEATS), (2, SEATS, SEATS), (3, SEATS, SEATS)]
        items = admin.execute(
            "SELECT count(*) FROM scheduling.order_items WHERE workshop_id = %s AND booking_id IS NOT NULL",
            (workshop,),
        ).fetchone()[0]
        assert items == 3 * SEATS


def small_session(admin: psycopg.Connection, seats: int, people: int) -> tuple[object, list[object]]:
    """A session of ``seats`` seats, full, and ``people`` more people with consent who are not in it."""
    host = admin.execute("SELECT scheduling.create_person('Host', '+4915100000000', 'Europe/Berlin')").fetchone()[0]
    session = admin.execute(
        "SELECT scheduling.create_session(%s, 'Small class', %s, %s, 'Europe/Berlin', 'automatic', %s, p_now => %s)",
        (host, FIRST_DAY, FIRST_DAY + timedelta(hours=2), seats, NOW),
    ).fetchone()[0]
    everyone = [
        admin.execute(
            "SELECT scheduling.create_person(%s, %s, 'Europe/Berlin', TRUE)", (f"Person {n}", f"+49153{n:08d}")
        ).fetchone()[0]
        for n in range(seats + people)
    ]
    for person in everyone[:seats]:
        admin.execute("SELECT * FROM scheduling.enroll(%s, %s, p_now => %s)", (session, person, NOW))
    return session, everyone[seats:]


def enroll_in_thread(db_url: str, session, person, outcomes: list) -> threading.Thread:
    """Runs enroll on a connection of its own; appends its outcome (confirmed, waitlisted or the SQLSTATE)."""

    def run() -> None:
        with psycopg.connect(db_url, autocommit=True) as conn:
            try:
                outcomes.append(
                    conn.execute(
                        "SELECT outcome FROM scheduling.enroll(%s, %s, p_actor => 'blocked enroll', p_now => %s)",
                        (session, person, NOW),
                    ).fetchone()[0]
                )
            except psycopg.Error as error:
                outcomes.append(error.sqlstate)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_waitlist_enrollments_of_a_full_session_do_not_wait_for_each_other(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as admin, psycopg.connect(db_url) as first:
        session, (carol, dave) = small_session(admin, seats=1, people=2)
        first.execute("SELECT * FROM scheduling.enroll(%s, %s, p_now => %s)", (session, carol, NOW))
        # Carol's waitlist entry is not committed yet; Dave's enrollment must not wait for it.
        with psycopg.connect(db_url, autocommit=True) as second:
            second.execute("SELECT set_config('lock_timeout', '5s', FALSE)")
            outcome = second.execute(
                "SELECT outcome FROM scheduling.enroll(%s, %s, p_now => %s)", (session, dave, NOW)
            ).fetchone()[0]
        assert outcome == "waitlisted"
        first.commit()
        waiting = admin.execute(
            "SELECT count(*) FROM scheduling.waitlist_entries WHERE session_id = %s AND status = 'waiting'", (session,)
        ).fetchone()[0]
        assert waiting == 2


def test_a_person_joining_a_waitlist_twice_at_once_gets_sk011(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as admin, psycopg.connect(db_url) as first:
        session, (carol,) = small_session(admin, seats=1, people=1)
        first.execute("SELECT * FROM scheduling.enroll(%s, %s, p_now => %s)", (session, carol, NOW))
        outcomes: list = []
        thread = enroll_in_thread(db_url, session, carol, outcomes)
        wait_until_blocked(admin, "blocked enroll")
        first.commit()
        thread.join(timeout=30)
        assert outcomes == ["SK011"]
        waiting = admin.execute(
            "SELECT count(*) FROM scheduling.waitlist_entries WHERE session_id = %s AND person_id = %s",
            (session, carol),
        ).fetchone()[0]
        assert waiting == 1


def test_an_enrollment_that_saw_a_full_session_takes_the_seat_freed_meanwhile(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as admin, psycopg.connect(db_url) as first:
        session, (dave,) = small_session(admin, seats=1, people=1)
        booking = admin.execute("SELECT id FROM scheduling.bookings WHERE session_id = %s", (session,)).fetchone()[0]
        # The cancellation frees the seat but is not committed: the enrollment reads the session as full, then
        # waits for the lock; once the seat is free it must book Dave, not put him on the (empty) waitlist.
        first.execute("SELECT scheduling.cancel_booking(%s, 'ill', p_now => %s)", (booking, NOW))
        outcomes: list = []
        thread = enroll_in_thread(db_url, session, dave, outcomes)
        wait_until_blocked(admin, "blocked enroll")
        first.commit()
        thread.join(timeout=30)
        assert outcomes == ["confirmed"]
        confirmed, attendees, waiting = admin.execute(
            "SELECT (SELECT count(*) FROM scheduling.bookings WHERE session_id = s.id AND status = 'confirmed'),"
            " s.current_attendees,"
            " (SELECT count(*) FROM scheduling.waitlist_entries WHERE session_id = s.id)"
            " FROM scheduling.sessions AS s WHERE s.id = %s",
            (session,),
        ).fetchone()
        assert (confirmed, attendees, waiting) == (1, 1, 0)
