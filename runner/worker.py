"""The reminder worker: claim due outbox rows, send them, record each outcome.

The database decides everything: what is due, whether it still makes sense (checked again at claim
time), the backoff, the deadline. The worker only moves bytes:

* ``lanes`` tasks each hold a connection and loop: claim a batch (FOR UPDATE SKIP LOCKED under a
  lease, so several processes never claim the same row), send the batch concurrently, record the
  outcomes of the batch in one call (scheduling.record_reminder_outcomes: one verdict per row, so a refused
  stale token affects only its own row). Each lane has a second connection that records a batch while the
  first claims and sends the next one.
* Idle lanes sleep until the next row falls due, or until NOTIFY scheduling_reminders_due wakes
  them (a reminder planned for right now), whichever comes first.
* A HALT verdict (expired token, locked account) records a halt for the sending number in the database
  (scheduling.halt_sending), gives the batch back untouched (no attempt burned) and logs loudly once. The
  worker keeps running, idle and heartbeating: while the halt stands the database grants no send tokens for
  that number, so neither this worker nor any other sending as that number claims anything, and a restarted
  worker sends nothing either. `sessionkeeper resume-sending NUMBER` lifts it; its NOTIFY wakes the lanes.
* SIGTERM / Ctrl-C: lanes finish the batch in flight, record it, and the worker exits 0. Rows that a
  killed worker held come back when their lease expires.
* A lost connection is logged and retried with backoff; it never kills the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg
from psycopg.rows import dict_row

from runner.backoff import Backoff
from runner.constants import FREE_TEXT_CHARS, NAME_CHARS, WORKER_BATCH_SIZE, WORKER_LANES, WORKER_LEASE_SECONDS
from runner.db import first_line, reason, unavailable
from runner.errors import SessionkeeperError
from runner.logs import EventLog
from runner.metrics import WorkerMetrics, serve_metrics
from runner.outbound import OutboundMessage, SendOutcome, Verdict
from runner.senders import Sender

DUE_CHANNEL = "scheduling_reminders_due"


@dataclass
class WorkerSettings:
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    batch_size: int = WORKER_BATCH_SIZE
    lease_seconds: float = WORKER_LEASE_SECONDS
    lanes: int = WORKER_LANES
    max_idle_seconds: float = 30.0
    heartbeat_seconds: float = 15.0
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"


@dataclass
class WorkerCounts:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "retried": self.retried, "failed": self.failed, "released": self.released}

    def sentence(self) -> str:
        return f"sent {self.sent}, retried {self.retried}, failed {self.failed}, released {self.released}"


class ReminderWorker:
    def __init__(
        self,
        url: str,
        sender: Sender,
        settings: WorkerSettings,
        log: EventLog,
        on_ready: Callable[[], None] | None = None,
        metrics: WorkerMetrics | None = None,
    ) -> None:
        self.on_ready = on_ready
        self.url = url
        self.sender = sender
        self.settings = settings
        self.log = log.bind("worker", worker_id=self.settings.worker_id)
        self.counts = WorkerCounts()
        self.metrics = metrics or WorkerMetrics(database_url=url)
        self.stop = asyncio.Event()
        self.wake = asyncio.Event()
        # The standing halt of our sending number as the database last said (scheduling.sender_halt), or None.
        self.halt: dict | None = None
        self.rate_limited = False

    # ---- running -----------------------------------------------------------------------------
    async def run(self) -> int:
        """Run until stopped; 0 after a clean stop (a halted sender included: the halt lives in the database)."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            # Only possible in the main thread; tests running the worker in a thread stop it directly.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, self.request_stop)
        if self.on_ready is not None:
            self.on_ready()  # signals are handled from here on
        started = time.monotonic()
        self.log(
            f"worker {self.settings.worker_id} started: sender {self.sender.name}, "
            f"{self.settings.lanes} lanes x {self.settings.batch_size}",
            event="worker.started",
        )
        metrics = await self._start_metrics()
        await self._look_for_halt()
        helpers = [asyncio.create_task(self._listen()), asyncio.create_task(self._heartbeat())]
        lanes = [asyncio.create_task(self._lane(number)) for number in range(self.settings.lanes)]
        await self.stop.wait()
        self.wake.set()
        await asyncio.gather(*lanes, return_exceptions=True)
        for task in helpers:
            task.cancel()
        await asyncio.gather(*helpers, return_exceptions=True)
        await self._beat(stopped=True)
        if metrics is not None:
            await metrics.cleanup()
        seconds = time.monotonic() - started
        self.log(
            f"worker {self.settings.worker_id} stopped: {self.counts.sentence()} in {seconds:.1f} s",
            event="worker.stopped",
            **self.counts.as_dict(),
            seconds=round(seconds, 3),
        )
        return 0

    def request_stop(self) -> None:
        self.stop.set()

    async def _connect(self) -> psycopg.AsyncConnection:
        return await psycopg.AsyncConnection.connect(self.url, autocommit=True, connect_timeout=10)

    async def _listen(self) -> None:
        """Turn NOTIFY scheduling_reminders_due into a wake-up for idle lanes."""
        backoff = Backoff()
        while not self.stop.is_set():
            try:
                async with await self._connect() as conn:
                    await conn.execute(f"LISTEN {DUE_CHANNEL}")
                    backoff.reset()
                    # NOTIFYs sent while we were not listening are lost: have the lanes look again.
                    self.wake.set()
                    async for _notice in conn.notifies():
                        self.wake.set()
            except psycopg.OperationalError as problem:
                await self._pause(self._log_lost("listener", problem, backoff.next()))

    async def _heartbeat(self) -> None:
        while not self.stop.is_set():
            await self._beat()
            await self._pause(self.settings.heartbeat_seconds)

    async def _beat(self, *, stopped: bool = False) -> None:
        """Tell the database this worker is alive (for `sessionkeeper healthcheck`) and read whether our number is
        halted (for the metrics); never fatal."""
        try:
            async with await self._connect() as conn:
                await conn.execute(
                    "SELECT scheduling.worker_heartbeat(%s, %s, %s::jsonb, %s)",
                    (self.settings.worker_id, self.sender.name, json.dumps(self.counts.as_dict()), stopped),
                )
                if not stopped:
                    await self._read_halt(conn)
        except psycopg.Error as problem:
            self.log.warning(f"heartbeat not recorded: {reason(self.url, problem)}", event="worker.heartbeat_failed")

    async def _look_for_halt(self) -> None:
        """At start: say at once when our number is halted (the lanes will then claim nothing)."""
        try:
            async with await self._connect() as conn:
                await self._read_halt(conn)
        except psycopg.Error:
            pass  # the lanes log an unreachable database; the first heartbeat looks again

    async def _read_halt(self, conn: psycopg.AsyncConnection) -> None:
        async with conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute("SELECT * FROM scheduling.sender_halt(%s)", (self.sender.sending_number,))
            self._note_halt(await cursor.fetchone())

    def _note_halt(self, halt: dict | None) -> None:
        """Keep the database's word on our halt, logging each change once."""
        number = self.sender.sending_number
        if halt is not None and self.halt is None:
            self.log.error(
                f"sending number {number} is halted since {halt['halted_at']:%Y-%m-%d %H:%M:%S%z} "
                f"(code {halt['error_code']}: {halt['error_message']}); sending nothing until a person fixes the "
                f"sender and runs: sessionkeeper resume-sending {number}",
                event="sender.halted",
                provider_code=halt["error_code"],
            )
        elif halt is None and self.halt is not None:
            self.log(f"sending number {number}: the halt was lifted; sending again", event="sender.resumed")
        self.halt = halt

    async def _start_metrics(self):
        """Serve the Prometheus metrics on metrics_host:metrics_port when a port is configured."""
        if not self.settings.metrics_port:
            return None
        host, port = self.settings.metrics_host, self.settings.metrics_port
        shown = f"[{host}]" if ":" in host else host
        try:
            runner = await serve_metrics(self.metrics.registry, host, port)
        except OSError as problem:
            raise SessionkeeperError(f"cannot serve metrics on {shown}:{port}: {problem.strerror}") from None
        self.log(f"metrics on http://{shown}:{port}/metrics", event="worker.metrics")
        return runner

    async def _lane(self, number: int) -> None:
        backoff = Backoff()
        while not self.stop.is_set():
            try:
                # Two connections: while one records a batch's outcomes, the other claims the next batch.
                async with await self._connect() as conn, await self._connect() as recorder:
                    backoff.reset()
                    await self._lane_batches(conn, recorder)
            except psycopg.OperationalError as problem:
                await self._pause(self._log_lost(f"lane {number}", problem, backoff.next()))
            except psycopg.Error as problem:
                # A SQL error (a function missing after a bad deploy, say) is logged and retried.
                delay = backoff.next()
                self.log.error(
                    f"lane {number}: {problem.sqlstate} {first_line(problem)}; retrying in {delay:g} s",
                    event="worker.lane_error",
                )
                await self._pause(delay)

    async def _lane_batches(self, conn: psycopg.AsyncConnection, recorder: psycopg.AsyncConnection) -> None:
        """Claim, send, record, with the recording of one batch under way while the next is claimed and sent
        (at most one recording in flight per lane). A batch that halted the sender is recorded before the
        next claim, so that no more rows are claimed for a halted number."""
        recording: asyncio.Task | None = None
        try:
            while not self.stop.is_set():
                batch = await self.claim(conn)
                if not batch:
                    if recording is not None:
                        await recording
                        recording = None
                    await self._idle(conn)
                    continue
                outcomes = await self.send(batch)
                if recording is not None:
                    await recording
                recording = asyncio.create_task(self.record(recorder, batch, outcomes))
                if any(o.verdict is Verdict.HALT for o in outcomes):
                    await recording
                    recording = None
            if recording is not None:
                await recording
        finally:
            if recording is not None and not recording.done():
                # Leaving on an error: let the recording finish before its connection closes.
                await asyncio.gather(recording, return_exceptions=True)

    async def _idle(self, conn: psycopg.AsyncConnection) -> None:
        if self.rate_limited:
            query, args = "SELECT scheduling.seconds_until_send_tokens(%s)", (self.sender.sending_number,)
        else:
            query, args = "SELECT scheduling.seconds_until_next_reminder()", ()
        row = await (await conn.execute(query, args)).fetchone()
        seconds = row[0] if row and row[0] is not None else self.settings.max_idle_seconds
        if self.rate_limited and seconds == math.inf and self.halt is None:
            await self._read_halt(conn)  # halted (by another worker, or before we started): say so once
        self.wake.clear()
        await self._pause(min(max(seconds, 0.05), self.settings.max_idle_seconds), wake=True)

    async def _pause(self, seconds: float, *, wake: bool = False) -> None:
        waiters = [asyncio.create_task(self.stop.wait())]
        if wake:
            waiters.append(asyncio.create_task(self.wake.wait()))
        _done, pending = await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()

    def _log_lost(self, who: str, problem: Exception, delay: float) -> float:
        self.log.warning(
            f"{who}: {unavailable(self.url, problem)}; retrying in {delay:g} s",
            event="database.unavailable",
        )
        return delay

    # ---- one batch ---------------------------------------------------------------------------
    async def claim(self, conn: psycopg.AsyncConnection) -> list[OutboundMessage]:
        """Claim up to one batch, within the sending number's shared rate (tokens from the database)."""
        number = self.sender.sending_number
        granted = (
            await (
                await conn.execute("SELECT scheduling.take_send_tokens(%s, %s)", (number, self.settings.batch_size))
            ).fetchone()
        )[0]
        if granted == 0:
            self.rate_limited = True
            return []
        self.rate_limited = False
        if self.halt is not None:
            self._note_halt(None)  # tokens again: the halt was lifted
        async with conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(
                "SELECT * FROM scheduling.claim_due_reminders(%s, %s, make_interval(secs => %s))",
                (self.settings.worker_id, granted, self.settings.lease_seconds),
            )
            rows = await cursor.fetchall()
        if len(rows) < granted:
            await conn.execute("SELECT scheduling.return_send_tokens(%s, %s)", (number, granted - len(rows)))
        return [_message(row) for row in rows]

    async def send(self, batch: list[OutboundMessage]) -> list[SendOutcome]:
        return list(await asyncio.gather(*(self._send(message) for message in batch)))

    async def record(
        self, conn: psycopg.AsyncConnection, batch: list[OutboundMessage], outcomes: list[SendOutcome]
    ) -> None:
        """Record a batch's outcomes: sends and failures in one call (scheduling.record_reminder_outcomes, one
        verdict per row, so a refused attempt token affects only its own row); after a halt, the rows the broken
        sender could not send are given back one by one (release_reminder)."""
        halt = next((o for o in outcomes if o.verdict is Verdict.HALT), None)
        if halt is not None:
            # First, so that no worker claims the rows given back below for this number.
            await self._halt(conn, halt)
        entries = []
        for message, outcome in zip(batch, outcomes, strict=True):
            if halt is not None and outcome.verdict not in (Verdict.SENT, Verdict.FAIL):
                await self._release(conn, message, outcome)
            else:
                entries.append((message, outcome))
        if not entries:
            return
        try:
            async with conn.cursor() as cursor:
                await cursor.execute(
                    "SELECT ordinal, state::text, refused_code, refused_message "
                    "FROM scheduling.record_reminder_outcomes(%s::jsonb)",
                    (json.dumps([_outcome_entry(message, outcome) for message, outcome in entries]),),
                )
                verdicts = await cursor.fetchall()
        except psycopg.OperationalError:
            raise
        except psycopg.Error as problem:
            # The batch as a whole refused (a bug of ours): its rows come back when their leases expire.
            keys = ", ".join(message.reminder_key for message, _ in entries)
            self.log.error(
                f"outcomes not recorded ({problem.sqlstate}: {first_line(problem)}): {keys}",
                event="outcome.not_recorded",
            )
            return
        for ordinal, state, refused_code, refused_message in verdicts:
            message, outcome = entries[ordinal - 1]
            if refused_code is not None:
                # Typically a refused attempt token: the lease expired and another worker owns the row.
                self.log.warning(
                    f"{message.reminder_key}: outcome not recorded ({refused_code}: {refused_message})",
                    event="outcome.not_recorded",
                    reminder_key=message.reminder_key,
                )
            else:
                self._count(message, outcome, state)

    async def _release(self, conn: psycopg.AsyncConnection, message: OutboundMessage, outcome: SendOutcome) -> None:
        """The sender is broken, not the message: give the row back without burning an attempt."""
        try:
            await conn.execute(
                "SELECT scheduling.release_reminder(%s, %s, NULL, %s)",
                (message.reminder_id, message.attempt_token, f"sender halted: {_clip(outcome.error_code, NAME_CHARS)}"),
            )
        except psycopg.OperationalError:
            raise
        except psycopg.Error as problem:
            self.log.warning(
                f"{message.reminder_key}: outcome not recorded ({problem.sqlstate}: {first_line(problem)})",
                event="outcome.not_recorded",
                reminder_key=message.reminder_key,
            )
            return
        self.counts.released += 1
        self.metrics.observe_outcome("released", outcome.error_code)

    async def _halt(self, conn: psycopg.AsyncConnection, outcome: SendOutcome) -> None:
        """Record the halt of our number in the database (idempotent while one stands) and say so once."""
        number = self.sender.sending_number
        async with conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(
                "SELECT * FROM scheduling.halt_sending(%s, %s, %s, %s)",
                (
                    number,
                    _clip(outcome.error_code, NAME_CHARS) or "unknown",
                    _clip(outcome.error_message, FREE_TEXT_CHARS),
                    self.settings.worker_id,
                ),
            )
            halt = await cursor.fetchone()
        if self.halt is None:
            self.log.error(
                f"SENDING STOPPED: {self.sender.name} refused the sender itself "
                f"(code {outcome.error_code}: {outcome.error_message}). Rows were given back untouched and "
                f"sending number {number} is halted for every worker. Fix the credentials or the account, restart "
                f"the worker, then run: sessionkeeper resume-sending {number}",
                event="sender.halted",
                provider_code=outcome.error_code,
            )
        self.halt = halt

    async def _send(self, message: OutboundMessage) -> SendOutcome:
        began = time.perf_counter()
        try:
            return await self.sender.send(message)
        except Exception as problem:  # a sender bug must not lose the row: retry it later
            return SendOutcome(Verdict.RETRY, error_code="sender_error", error_message=repr(problem)[:200])
        finally:
            self.metrics.observe_send_seconds(time.perf_counter() - began)

    def _count(self, message: OutboundMessage, outcome: SendOutcome, state: str) -> None:
        if outcome.verdict is Verdict.SENT:
            self.counts.sent += 1
            self.metrics.observe_outcome("sent", None)
            if message.due_at is not None:
                self.metrics.observe_due_to_sent((datetime.now(UTC) - message.due_at).total_seconds())
            if state != "sent":
                # Closed while this worker sent it (cancelled, say), or a delivery failure reported first.
                self.log.warning(
                    f"{message.reminder_key} sent, but the row is now {state}: see `sessionkeeper reminders`",
                    event="reminder.sent_after_close",
                    reminder_key=message.reminder_key,
                )
            return
        retryable = outcome.verdict is Verdict.RETRY
        if retryable:
            self.counts.retried += 1
        else:
            self.counts.failed += 1
        self.metrics.observe_outcome("retry" if retryable else "fail", outcome.error_code)
        self.log.warning(
            f"{message.reminder_key} attempt {message.attempt} "
            f"{'will retry' if retryable else 'failed'}: {outcome.error_code} {outcome.error_message}",
            event="reminder.retry" if retryable else "reminder.failed",
            reminder_key=message.reminder_key,
            provider_code=outcome.error_code,
        )


def _outcome_entry(message: OutboundMessage, outcome: SendOutcome) -> dict:
    """One entry of scheduling.record_reminder_outcomes' batch."""
    entry = {"reminder_id": str(message.reminder_id), "attempt_token": str(message.attempt_token)}
    if outcome.verdict is Verdict.SENT:
        return {**entry, "outcome": "sent", "provider_message_id": outcome.provider_message_id}
    return {
        **entry,
        "outcome": "failed",
        "retryable": outcome.verdict is Verdict.RETRY,
        "uncertain": bool(outcome.uncertain),
        "error_code": _clip(outcome.error_code, NAME_CHARS),  # the database refuses longer ones (SK034)
        "error_message": _clip(outcome.error_message, FREE_TEXT_CHARS),
    }


def _message(row: dict) -> OutboundMessage:
    fields = OutboundMessage.__dataclass_fields__
    values = {name: row[name] for name in fields if name in row}
    values["body_parameters"] = [str(value) for value in (row.get("body_parameters") or [])]
    values["rendered_text"] = row.get("rendered_text") or ""
    return OutboundMessage(**values)


async def serve(url: str, settings: WorkerSettings, log: EventLog, on_ready: Callable[[], None] | None = None) -> int:
    """Open the configured sender and run the worker until stopped; returns the exit status."""
    import aiohttp  # imported here: `sessionkeeper --help` stays fast

    from runner.senders import build_sender

    connector = aiohttp.TCPConnector(limit=max(settings.lanes * settings.batch_size, 10))
    async with aiohttp.ClientSession(connector=connector) as session:
        sender = build_sender(session, os.environ, say=log.bind("sender.console"))
        return await ReminderWorker(url, sender, settings, log, on_ready).run()


def _clip(text: str | None, limit: int) -> str | None:
    """A provider's error text cut to what record_reminder_failure accepts: a long one must not lose the row."""
    return text if text is None or len(text) <= limit else text[: limit - 1] + "…"
