"""Bookings per second through the HTTP API (`sessionkeeper serve`), next to the same calls made directly in SQL
in the same run.

Both sides book the same number of seats with the same concurrency (CLIENTS at a time), each booking followed by
the read of what was booked, as the API answers it:
* SQL: CLIENTS threads, each with its own connection as sessionkeeper_app, one transaction per booking:
  scheduling.create_booking then scheduling.booking_details.
* API: CLIENTS concurrent `POST /api/bookings` (aiohttp) to a real `sessionkeeper serve` on 127.0.0.1; each
  request also looks its token up and switches to the application role, and the answer is JSON over HTTP.
The SQL side runs before and after the API side; their mean is the baseline, so a load that changes during
the run favours neither. Every booking goes to its own (session, person) pair, so none is refused.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import aiohttp
from support import PROJECT, connect, migrated_database, print_targets

from runner.scratch import free_loopback_port

CLIENTS = 10
BOOKINGS = 1_500  # per measured round
SESSIONS = 50  # each with unlimited seats, so bookings never wait for one another's seat


def prepare(url: str) -> tuple[list[str], list[str], str]:
    """Sessions, enough people for three rounds, and an API token."""
    with connect(url, autocommit=True) as conn:
        now = conn.execute("SELECT now()").fetchone()[0]
        sessions = []
        for number in range(SESSIONS):
            host = conn.execute("SELECT scheduling.create_person(%s)", (f"Host {number}",)).fetchone()[0]
            starts = now + timedelta(days=2, hours=number)
            sessions.append(
                str(
                    conn.execute(
                        "SELECT scheduling.create_session(%s, 'Class', %s, %s, 'UTC', p_capacity => 0)",
                        (host, starts, starts + timedelta(hours=1)),
                    ).fetchone()[0]
                )
            )
        people = [
            str(row[0])
            for row in conn.execute(
                "SELECT scheduling.create_person('Guest ' || n, '+4915' || lpad(n::text, 9, '0'), 'UTC', TRUE) "
                "FROM generate_series(1, %s) AS n",
                (BOOKINGS * 3 // SESSIONS + 1,),
            ).fetchall()
        ]
        token = conn.execute("SELECT scheduling.create_api_token('bench')").fetchone()[0]
    return sessions, people, token


def pairs(sessions: list[str], people: list[str], round_number: int) -> list[tuple[str, str]]:
    """BOOKINGS distinct (session, person) pairs, none shared with another round."""
    per_session = BOOKINGS // SESSIONS
    offset = round_number * per_session
    return [(session, people[offset + n]) for session in sessions for n in range(per_session)]


def sql_round(url: str, work: list[tuple[str, str]]) -> float:
    """Bookings per second, CLIENTS threads calling the functions directly as the application role."""
    chunks = [work[n::CLIENTS] for n in range(CLIENTS)]
    start = threading.Barrier(CLIENTS + 1)

    def client(chunk: list[tuple[str, str]]) -> None:
        with connect(url) as conn:
            conn.execute("SET ROLE sessionkeeper_app")
            conn.commit()
            start.wait()
            for session, person in chunk:
                booking = conn.execute(
                    "SELECT scheduling.create_booking(%s, %s, p_actor => 'bench')", (session, person)
                ).fetchone()[0]
                conn.execute("SELECT scheduling.booking_details(%s)", (booking,)).fetchone()
                conn.commit()

    threads = [threading.Thread(target=client, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return len(work) / (time.perf_counter() - began)


async def _api_round(base: str, token: str, work: list[tuple[str, str]]) -> float:
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    for item in work:
        queue.put_nowait(item)
    refused = []
    connector = aiohttp.TCPConnector(limit=CLIENTS)
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}, connector=connector) as client:

        async def worker() -> None:
            while not queue.empty():
                session, person = queue.get_nowait()
                body = {"session_id": session, "person_id": person}
                async with client.post(f"{base}/api/bookings", json=body) as response:
                    await response.read()
                    if response.status != 201:
                        refused.append(response.status)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CLIENTS)))
        elapsed = time.perf_counter() - began
    if refused:
        raise SystemExit(f"the API refused {len(refused)} bookings (statuses {sorted(set(refused))})")
    return len(work) / elapsed


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(url: str) -> tuple[subprocess.Popen, str]:
    port = free_loopback_port()
    env = {**os.environ, "SESSIONKEEPER_DATABASE_URL": url, "SESSIONKEEPER_OPERATOR_TOKEN": ""}
    server = subprocess.Popen(
        [sys.executable, "-m", "runner.cli", "serve", "--port", str(port)],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    give_up = time.monotonic() + 30
    while time.monotonic() < give_up:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("sessionkeeper serve did not listen within 30 s")


def main() -> None:
    with migrated_database() as url:
        sessions, people, token = prepare(url)
        server, base = start_server(url)
        try:
            sql_before = sql_round(url, pairs(sessions, people, 0))
            server_cpu = cpu_seconds(server.pid)
            api = asyncio.run(_api_round(base, token, pairs(sessions, people, 1)))
            server_cpu = cpu_seconds(server.pid) - server_cpu
            sql_after = sql_round(url, pairs(sessions, people, 2))
        finally:
            server.terminate()
            server.wait(timeout=30)
    baseline = (sql_before + sql_after) / 2
    print(f"\n{BOOKINGS} bookings per round, {CLIENTS} at a time (bookings per second)")
    print(f"  SQL before: {sql_before:.0f}/s, after: {sql_after:.0f}/s")
    print(
        f"  serve's own CPU per API booking: {server_cpu / BOOKINGS * 1e6:.0f} µs "
        f"(one process, one core at most: a ceiling of {BOOKINGS / server_cpu:.0f}/s)"
    )
    print_targets(
        "HTTP API against direct SQL",
        [("bookings via POST /api/bookings", f"{api:.0f}/s", f"{baseline:.0f}/s (SQL)", f"{api / baseline:.2f}x", "-")],
    )


if __name__ == "__main__":
    main()
