"""Live events (one per session status change): NOTIFY payloads, `sessionkeeper watch`, `tick`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta

import psycopg

from tests.helpers import SESSIONKEEPER, run_cli

CHANNEL = "scheduling_session_status"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def new_host(conn) -> str:
    """A host without a phone: tests whose sessions overlap make one per session (a host is in one at a time)."""
    return str(conn.execute("SELECT scheduling.create_person('Host', NULL, 'Europe/Berlin')").fetchone()[0])


def new_session(conn, host, starts_at, *, mode="automatic", minutes=60) -> str:
    row = conn.execute(
        "SELECT scheduling.create_session(%s, 'event test', %s, %s, NULL, %s::scheduling.session_start_mode, "
        "p_now => %s)",
        (host, starts_at, starts_at + timedelta(minutes=minutes), mode, starts_at - timedelta(days=1)),
    ).fetchone()
    return str(row[0])


def next_payload(listener: psycopg.Connection) -> dict:
    for notice in listener.notifies(timeout=10, stop_after=1):
        assert notice.channel == CHANNEL
        return json.loads(notice.payload)
    raise AssertionError("no NOTIFY arrived")


def test_one_notify_per_tick_with_counts_and_updates(conn, db_url):
    automatic = new_session(conn, new_host(conn), NOW - timedelta(minutes=5))
    host_started = new_session(conn, new_host(conn), NOW - timedelta(minutes=5), mode="host_started")
    with psycopg.connect(db_url, autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        counts = conn.execute("SELECT scheduling.tick(%s)", (NOW,)).fetchone()[0]
        payload = next_payload(listener)
        assert counts["started"] == 1 and counts["delayed"] == 1
        assert payload["started"] == 1
        assert payload["delayed"] == 1
        assert payload["completed"] == 0
        assert sorted((u["id"], u["action"], u["from"], u["to"]) for u in payload["updates"]) == sorted(
            [(automatic, "started", "scheduled", "in_progress"), (host_started, "delayed", "scheduled", "in_progress")]
        )
        # Nothing due any more: a second tick sends nothing.
        conn.execute("SELECT scheduling.tick(%s)", (NOW,))
        assert list(listener.notifies(timeout=0.5)) == []


def test_payload_stays_under_the_notify_limit_when_many_sessions_move(conn, db_url):
    for minute in range(300):
        new_session(conn, new_host(conn), NOW - timedelta(minutes=minute % 50 + 1))
    with psycopg.connect(db_url, autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        conn.execute("SELECT scheduling.tick(%s)", (NOW,))
        notices = list(listener.notifies(timeout=2))
    assert len(notices) == 1, "one NOTIFY per tick, however many sessions moved"
    assert len(notices[0].payload.encode()) < 8000
    payload = json.loads(notices[0].payload)
    assert payload["started"] == 300
    assert payload["truncated"] is True and payload["total"] == 300
    assert 0 < len(payload["updates"]) < 300


def test_manual_actions_notify_too(conn, db_url):
    host = new_host(conn)
    session = new_session(conn, host, NOW + timedelta(hours=2))
    with psycopg.connect(db_url, autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        conn.execute("SELECT scheduling.cancel_session(%s, 'host is ill', p_now => %s)", (session, NOW))
        payload = next_payload(listener)
    assert [(u["id"], u["action"], u["from"], u["to"]) for u in payload["updates"]] == [
        (session, "cancelled", "scheduled", "cancelled")
    ]


def start_watcher(conn, db_url: str, *options: str) -> subprocess.Popen:
    """`sessionkeeper watch` in the background, returned once it is listening (a bounded wait)."""
    env = {**os.environ, "SESSIONKEEPER_DATABASE_URL": db_url}
    watcher = subprocess.Popen(
        [*SESSIONKEEPER, "watch", *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    for _ in range(200):
        listening = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE query = %s", (f"LISTEN {CHANNEL}",)
        ).fetchone()[0]
        if listening:
            return watcher
        time.sleep(0.05)
    watcher.kill()
    raise AssertionError("watch never started listening")


def stop_watcher(watcher: subprocess.Popen) -> str:
    """SIGTERM, then what it wrote on stderr."""
    watcher.send_signal(signal.SIGTERM)
    try:
        _, err = watcher.communicate(timeout=30)
    finally:
        if watcher.poll() is None:
            watcher.kill()
    return err


def test_watch_prints_each_event_live_and_stops_on_sigterm(conn, db_url):
    host = new_host(conn)
    session = new_session(conn, host, NOW - timedelta(minutes=1))
    watcher = start_watcher(conn, db_url, "--json")
    try:
        conn.execute("SELECT scheduling.tick(%s)", (NOW,))
        line = watcher.stdout.readline()
    finally:
        err = stop_watcher(watcher)
    event = json.loads(line)
    assert event["started"] == 1
    assert event["updates"][0]["id"] == session
    assert watcher.returncode == 0, err


def test_watch_names_the_action_of_each_change(conn, db_url):
    host = new_host(conn)
    later = new_session(conn, host, NOW + timedelta(hours=2))
    done = new_session(conn, host, NOW - timedelta(hours=2), minutes=30)
    conn.execute("SELECT scheduling.tick(%s)", (NOW,))  # completes `done` before the watcher listens
    watcher = start_watcher(conn, db_url)
    try:
        conn.execute(
            "SELECT scheduling.reschedule_session(%s, %s, %s, 'host', %s)",
            (later, NOW + timedelta(hours=3), NOW + timedelta(hours=4), NOW),
        )
        conn.execute("SELECT scheduling.delete_session(%s, 'duplicate', 'host', %s)", (done, NOW))
        lines = [watcher.stdout.readline().rstrip("\n") for _ in range(2)]
    finally:
        err = stop_watcher(watcher)
    # A reschedule and a deletion say so, not scheduled→scheduled and completed→completed.
    assert lines[0].endswith(f"started=0 delayed=0 completed=0 {later} rescheduled scheduled→scheduled"), lines
    assert lines[1].endswith(f"started=0 delayed=0 completed=0 {done} deleted completed→deleted"), lines
    assert watcher.returncode == 0, err


def test_tick_command_runs_once_at_the_time_given(conn, db_url):
    host = new_host(conn)
    session = new_session(conn, host, NOW, minutes=30)
    result = run_cli("tick", "--now", "2026-11-23T10:45:00+00:00", env={"SESSIONKEEPER_DATABASE_URL": db_url})
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)
    assert counts["completed"] == 1
    status = conn.execute("SELECT status::text FROM scheduling.sessions WHERE id = %s", (session,)).fetchone()[0]
    assert status == "completed"
