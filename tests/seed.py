"""Test data that tests and benchmarks share."""

from __future__ import annotations

import psycopg


def add_due_reminders(url: str, count: int, *, first: int = 1) -> None:
    """``count`` one-to-one appointments starting in 30 minutes, booked an hour ago, whose one-hour
    reminders are therefore due now; one distinct recipient each (+1555 and seven digits)."""
    with psycopg.connect(url, autocommit=True) as conn:
        # One host per appointment (they all start at once, and a host is in one session at a time); hosts have no
        # phone: a phone belongs to one live person, and this may run more than once.
        conn.execute(
            """
            SELECT scheduling.create_appointment(
                scheduling.create_person('Host ' || g, NULL, 'UTC'),
                scheduling.create_person('Customer ' || g, '+1555' || lpad(g::text, 7, '0'), 'Europe/Berlin', TRUE),
                'Haircut', now() + interval '30 minutes', now() + interval '60 minutes', NULL, 'seed',
                now() - interval '1 hour')
            FROM generate_series(%(first)s::integer, %(last)s::integer) AS g
            """,
            {"first": first, "last": first + count - 1},
        )
