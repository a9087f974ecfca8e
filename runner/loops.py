"""Long-running loops: keeping the system going, ticking without pg_cron, watching events.

Without pg_cron, the tick loop also runs the retention purge (scheduling.purge_old_records) once an hour; a purge
that fails is logged and tried again an hour later, and never stops the ticking.

Each loop stops cleanly on Ctrl-C or SIGTERM, and survives a lost database connection by
reconnecting with backoff (logged), because the database restarting is not a reason to die.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import psycopg

from runner import db
from runner.backoff import Backoff
from runner.errors import SessionkeeperError

STATUS_CHANNEL = "scheduling_session_status"
PURGE_EVERY_SECONDS = 3600.0  # as often as pg_cron's sessionkeeper-purge job


class StopSignal:
    """Set by SIGTERM or SIGINT; loops wait on it instead of sleeping."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StopSignal:
        for signum in (signal.SIGTERM, signal.SIGINT):
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame: object) -> None:
        self.event.set()

    @property
    def is_set(self) -> bool:
        return self.event.is_set()

    def wait(self, seconds: float) -> bool:
        return self.event.wait(seconds)


def tick_once(conn: psycopg.Connection, at: datetime | None = None) -> dict:
    """Run scheduling.tick once and return its counts."""
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    if at is None:
        row = conn.execute("SELECT scheduling.tick()").fetchone()
    else:
        row = conn.execute("SELECT scheduling.tick(%s)", (at,)).fetchone()
    return row[0]


class Purger:
    """Runs scheduling.purge_old_records when due: at the first call, then ``every`` seconds after the last one."""

    def __init__(self, every: float = PURGE_EVERY_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.every = every
        self.clock = clock
        self.next_at: float | None = None

    def run_if_due(self, conn: psycopg.Connection, say: Callable[[str], None]) -> dict | None:
        """The purge's counts when it ran, else None. A lost connection is raised (the loop reconnects and the
        purge stays due); any other failure is logged and waits for the next hour."""
        if self.next_at is not None and self.clock() < self.next_at:
            return None
        try:
            counts = conn.execute("SELECT scheduling.purge_old_records()").fetchone()[0]
        except psycopg.OperationalError:
            raise
        except psycopg.Error as problem:
            self.next_at = self.clock() + self.every
            state = f" [SQLSTATE {problem.sqlstate}]" if problem.sqlstate else ""
            _warn(say, f"purge failed: {db.first_line(problem)}{state}; next try in {self.every:g} s")
            return None
        self.next_at = self.clock() + self.every
        deleted = {k: v for k, v in counts.items() if isinstance(v, int) and v}
        if deleted:
            say(f"purge {json.dumps(deleted)}")
        return counts


def _warn(say: Callable[[str], None], message: str) -> None:
    """A problem the loop survives: a warning when ``say`` is a logger (runner.logs.EventLog), else just a line."""
    getattr(say, "warning", say)(message)


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_forever(url: str, *, tick_interval: float | None, say: Callable[[str], None]) -> None:
    """Keep ticking every ``tick_interval`` seconds until Ctrl-C or SIGTERM."""
    with StopSignal() as stop:
        say(f"running: ticking every {tick_interval:g} s; Ctrl-C or SIGTERM to stop")
        tick_loop(url, tick_interval, stop.event, say)
    say("stopped")


def tick_loop(
    url: str, interval: float, stop: threading.Event, say: Callable[[str], None], purger: Purger | None = None
) -> None:
    """Call scheduling.tick every ``interval`` seconds until ``stop`` is set, and the purge when it is due
    (``purger``, hourly by default); survive a lost database."""
    purger = purger or Purger()
    conn: psycopg.Connection | None = None
    backoff = Backoff()
    while not stop.is_set():
        try:
            if conn is None or conn.closed:
                conn = db.connect(url, autocommit=True)
            counts = tick_once(conn)
            backoff.reset()
            changed = {k: v for k, v in counts.items() if isinstance(v, int) and not isinstance(v, bool) and v}
            if changed:
                say(f"tick {json.dumps(changed)}")
            purger.run_if_due(conn, say)
            stop.wait(interval)
        except (psycopg.OperationalError, SessionkeeperError) as problem:
            delay = backoff.next()
            _warn(say, f"{db.unavailable(url, problem)}; retrying in {delay:g} s")
            if conn is not None:
                conn.close()
            conn = None
            stop.wait(delay)
        except psycopg.Error as problem:
            # A failing tick is logged and tried again next interval; it must not stop the loop.
            state = f" [SQLSTATE {problem.sqlstate}]" if problem.sqlstate else ""
            _warn(say, f"tick failed: {db.first_line(problem)}{state}")
            stop.wait(interval)
    if conn is not None:
        conn.close()


def describe_event(payload: dict) -> str:
    """One line for a person: the counts, then each change as `id action from→to`."""
    counts = " ".join(f"{k}={payload[k]}" for k in ("started", "delayed", "completed") if k in payload)
    changes = ", ".join(_describe_update(update) for update in payload.get("updates", []))
    more = f" (+{payload['total'] - len(payload['updates'])} more)" if payload.get("truncated") else ""
    return f"{_stamp()} {counts} {changes}{more}".rstrip()


def _describe_update(update: dict) -> str:
    action = f" {update['action']}" if update.get("action") else ""
    return f"{update.get('id')}{action} {update.get('from') or '-'}→{update.get('to')}"


def watch(url: str, *, as_json: bool, say: Callable[[str], None]) -> None:
    """LISTEN on the status channel and print each event until stopped."""
    with StopSignal() as stop:
        backoff = Backoff()
        while not stop.is_set:
            try:
                with db.connect(url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {STATUS_CHANNEL}")
                    backoff.reset()
                    while not stop.is_set:
                        for notice in conn.notifies(timeout=0.5):
                            say(notice.payload if as_json else _describe_raw(notice.payload))
            except (psycopg.OperationalError, SessionkeeperError) as problem:
                delay = backoff.next()
                say(f"{db.unavailable(url, problem)}; retrying in {delay:g} s")
                stop.wait(delay)


def _describe_raw(payload: str) -> str:
    try:
        return describe_event(json.loads(payload))
    except (ValueError, AttributeError, TypeError):
        return payload
