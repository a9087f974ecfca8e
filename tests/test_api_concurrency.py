"""Fifty bookings sent at once through the HTTP API for a session with ten seats: exactly ten are admitted, the
other forty get 409 SK012, and the session never holds more than its capacity."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import aiohttp

from tests.api_support import build_world, create_token, person, session
from tests.dashboard_support import dashboard


async def _book_all(base: str, token: str, session_id: str, people: list[str]) -> list[tuple[int, dict]]:
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as client:

        async def book(person_id: str) -> tuple[int, dict]:
            body = {"session_id": session_id, "person_id": person_id}
            async with client.post(f"{base}/api/bookings", json=body) as response:
                return response.status, await response.json()

        return await asyncio.gather(*(book(person_id) for person_id in people))


def test_fifty_concurrent_bookings_for_ten_seats_admit_exactly_ten(conn, db_url):
    token = create_token(db_url, "rush")
    world = build_world(conn)
    ten_seats = session(conn, world.host, "Ten seats", world.now + timedelta(days=8), 10, world.now)
    people = [person(conn, f"Rush {n}", f"+49152{n:08d}") for n in range(50)]
    with dashboard(db_url, token=None) as (_, base):
        answers = asyncio.run(_book_all(base, token, ten_seats, people))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] * 10 + [409] * 40
    assert {body["error"]["code"] for status, body in answers if status == 409} == {"SK012"}
    admitted = {body["booking"]["person_id"] for status, body in answers if status == 201}
    rows = conn.execute(
        "SELECT person_id::text FROM scheduling.bookings WHERE session_id = %s AND status = 'confirmed'", (ten_seats,)
    ).fetchall()
    assert {row[0] for row in rows} == admitted and len(rows) == 10
    attendees = conn.execute("SELECT current_attendees FROM scheduling.sessions WHERE id = %s", (ten_seats,))
    assert attendees.fetchone()[0] == 10
