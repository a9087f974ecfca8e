"""Fault 2: PostgreSQL restarts (fast shutdown, then start) under a running worker and under
`sessionkeeper run`, on a scratch cluster of this suite's own.

Both must keep running, reconnect by themselves, and go on: reminders due after the restart go out
exactly once, and under `run` sessions keep moving with the clock. Right after the restart one booking
is cancelled and one moved; their old reminders (due later) never go out, the moved one's new one does.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import psycopg

from runner.cluster import Cluster
from tests.faults.conftest import new_database
from tests.faults.outbox import assert_delivered_once, book, cancel, due_in, reminder_keys, reschedule, settled
from tests.processes import output_of, start_cli, start_worker, states, stop_worker, wait_for
from tests.seed import add_due_reminders

# The down period: long enough for every connection to notice and back off.
DOWN_SECONDS = 2.0


def restart(cluster: Cluster) -> datetime:
    """Stop the cluster (fast shutdown: sessions are cut), keep it down, start it; when it was back up."""
    assert cluster.stop()
    time.sleep(DOWN_SECONDS)  # the fault itself, not a wait for something
    assert cluster.start()
    return datetime.now(UTC)


def book_two_for_later(url: str) -> tuple[str, str]:
    """Two bookings whose reminders fall due well after the restart: one to cancel, one to move."""
    with psycopg.connect(url, autocommit=True) as conn:
        return book(conn, 1, due_in(conn, 60)), book(conn, 2, due_in(conn, 60))


def cancel_and_move(url: str, cancelled: str, moved: str) -> tuple[set[str], set[str]]:
    """Cancel one booking, move the other so that its new reminder is due in 2 s: (old keys, new keys)."""
    with psycopg.connect(url, autocommit=True) as conn:
        old = set(reminder_keys(conn, cancelled)) | set(reminder_keys(conn, moved))
        assert len(old) == 2
        cancel(conn, cancelled)
        reschedule(conn, moved, due_in(conn, 2))
        new = set(reminder_keys(conn, moved)) - old
    assert len(new) == 1
    return old, new


def first_send_after(url: str, moment: datetime) -> float:
    with psycopg.connect(url) as conn:
        first = conn.execute("SELECT min(sent_at) FROM scheduling.reminders WHERE sent_at > %s", (moment,)).fetchone()
    return (first[0] - moment).total_seconds()


def test_worker_survives_a_database_restart(restart_cluster, fake):
    url = new_database(restart_cluster, "worker_restart")
    add_due_reminders(url, 5)
    cancelled, moved = book_two_for_later(url)
    worker = start_worker(url, fake.cloud_env(), "--lease", "5")
    try:
        wait_for(lambda: states(url)["sent"] == 5, "the first five sent", workers=(worker,))
        up_at = restart(restart_cluster)
        never, new_keys = cancel_and_move(url, cancelled, moved)
        add_due_reminders(url, 5, first=6)
        wait_for(lambda: settled(url) and states(url)["sent"] == 12, "everything sent after the restart")
        assert worker.poll() is None, "the worker kept running"
    finally:
        code, out = stop_worker(worker)
    assert code == 0, out
    assert "database unavailable" in out, out
    delivery = assert_delivered_once(url, fake, never=never)
    # 10 reminders, the moved booking's new one, the cancelled booking's cancellation message.
    assert len(delivery.sent) == 12 and new_keys <= delivery.sent
    assert not delivery.uncertain, "nothing was in flight: nothing is uncertain"
    print(f"\nFIGURES worker restart: first send {first_send_after(url, up_at):.1f} s after the database was back")


def session_status(url: str, session_id: str) -> str:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT status::text FROM scheduling.sessions WHERE id = %s", (session_id,)).fetchone()[0]


def session_starting_in(url: str, seconds: float) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        host = conn.execute("SELECT scheduling.create_person('Run Host', NULL, 'UTC')").fetchone()[0]
        return str(
            conn.execute(
                "SELECT scheduling.create_session(%s, 'moved by run', clock_timestamp() + make_interval(secs => %s), "
                "clock_timestamp() + interval '1 hour')",
                (host, seconds),
            ).fetchone()[0]
        )


def moved_by_tick(url: str, session_id: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT h.from_status::text, h.to_status::text, h.reason::text, "
            "extract(epoch FROM h.recorded_at - s.starts_at) "
            "FROM scheduling.session_status_history AS h JOIN scheduling.sessions AS s ON s.id = h.session_id "
            "WHERE h.session_id = %s AND h.from_status IS NOT NULL ORDER BY h.id",
            (session_id,),
        ).fetchall()


def test_run_survives_a_database_restart(restart_cluster, fake):
    """`sessionkeeper run --database-url URL` on a database where pg_cron cannot be created: it migrates,
    runs the worker and ticks every second itself; the restart interrupts all of that."""
    url = new_database(restart_cluster, "run_restart", migrate=False)
    run = start_cli("--database-url", url, "run", "--interval", "1", "--lease", "5", url=None, env=fake.cloud_env())
    try:
        wait_for(lambda: "running: Ctrl-C" in output_of(run), "run to migrate and start", workers=(run,))
        assert "ticking every 1 s (no pg_cron)" in output_of(run)
        add_due_reminders(url, 5)
        cancelled, moved = book_two_for_later(url)
        before = session_starting_in(url, 2)
        wait_for(lambda: states(url)["sent"] == 5, "the first five sent", workers=(run,))
        wait_for(lambda: session_status(url, before) == "in_progress", "a session started by run", workers=(run,))

        up_at = restart(restart_cluster)
        never, new_keys = cancel_and_move(url, cancelled, moved)
        add_due_reminders(url, 5, first=6)
        after = session_starting_in(url, 2)
        wait_for(lambda: session_status(url, after) == "in_progress", "a session started after the restart")
        wait_for(lambda: settled(url) and states(url)["sent"] == 12, "everything sent after the restart")
        assert run.poll() is None, "run kept running"
    finally:
        code, out = stop_worker(run)
    assert code == 0, out
    assert "Traceback" not in out and "tick failed" not in out and "not recorded" not in out, out
    # Both halves of run lost the database and came back: the worker's lanes and the tick loop.
    assert re.search(r"Z WARNING database\.unavailable lane \d+: database unavailable \(.*\); retrying in", out), out
    tick_line = r"Z WARNING tick database unavailable \(.*\); retrying in"
    assert re.search(tick_line, out), "the tick loop's own line: " + out
    delivery = assert_delivered_once(url, fake, never=never)
    assert len(delivery.sent) == 12 and new_keys <= delivery.sent
    assert not delivery.uncertain
    transitions = moved_by_tick(url, after)
    assert [t[:3] for t in transitions] == [("scheduled", "in_progress", "automatic")], transitions
    with psycopg.connect(url) as conn:
        # The session started before the restart moved exactly once too.
        assert (
            conn.execute(
                "SELECT count(*) FROM scheduling.session_status_history WHERE session_id = %s AND to_status = "
                "'in_progress'",
                (before,),
            ).fetchone()[0]
            == 1
        )
    print(
        f"\nFIGURES run restart: first send {first_send_after(url, up_at):.1f} s after the database was back; "
        f"session due {timedelta(seconds=2)} after the restart started {transitions[0][3]:.1f} s after its start"
    )
