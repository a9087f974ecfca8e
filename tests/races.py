"""Rounds of concurrent calls: the harness the race tests share.

``clients`` threads, each with its own connection (opened once, reused every round), wait on a barrier, make
their call together, and report an outcome: what ``attempt`` returns, or the SQLSTATE of the error it raised.
Between rounds the main thread prepares the next one and checks the last one's outcomes, so a failing round
stops the test with that round's number.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import psycopg

Attempt = Callable[[psycopg.Connection, int, Any], str]


def race_rounds(
    db_url: str,
    *,
    clients: int,
    rounds: int,
    prepare: Callable[[int], Any],
    attempt: Attempt,
    check: Callable[[int, Any, list[str]], None],
) -> None:
    """Each round: ``prepare(round_no)`` gives what the round is about, every client calls
    ``attempt(conn, client_index, prepared)`` at once, then ``check(round_no, prepared, outcomes)``."""
    prepared: dict[str, Any] = {}
    results: list[list[str]] = [[] for _ in range(rounds)]
    lock = threading.Lock()
    start = threading.Barrier(clients + 1, timeout=60)
    done = threading.Barrier(clients + 1, timeout=60)
    connections = [psycopg.connect(db_url, autocommit=True) for _ in range(clients)]

    def client(index: int) -> None:
        for round_no in range(rounds):
            start.wait()
            try:
                outcome = attempt(connections[index], index, prepared["round"])
            except psycopg.Error as error:
                outcome = error.sqlstate or repr(error)
            with lock:
                results[round_no].append(outcome)
            done.wait()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    finished = False
    try:
        for thread in threads:
            thread.start()
        for round_no in range(rounds):
            prepared["round"] = prepare(round_no)
            start.wait()
            done.wait()
            assert len(results[round_no]) == clients
            check(round_no, prepared["round"], results[round_no])
        finished = True
    finally:
        if not finished:
            # Release the clients still waiting on a barrier (only when a round failed).
            start.abort()
            done.abort()
        for thread in threads:
            thread.join(timeout=10)
        for conn in connections:
            conn.close()
