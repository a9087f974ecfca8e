"""The reminder worker: claim due outbox rows, send them, record each outcome.

The database decides everything: what is due, whether it still makes sense (checked again at claim
time), the backoff, the deadline. The worker only moves bytes:

* ``lanes`` tasks each hold a connection and loop: claim a batch (FOR UPDATE SKIP LOCKED under a
  lease, so several processes never claim the same row), send the batch concurrently, record the
  outcomes, one call per row (so a refused stale token affects only its own row).
* Idle lanes sleep until the next row falls due, or until NOTIFY scheduling_reminders_due wakes
  them (a reminder planned for right now), whichever comes first.
* A HALT verdict (expired token, locked account) gives the batch back untouched (no attempt burned),
  logs loudly and stops the worker with exit status 2: sending again needs a person.
* SIGTERM / Ctrl-C: lanes finish the batch in flight, record it, and the worker exits 0. Rows that a
  killed worker held come back when their lease expires.
* A lost connection is logged and retried with backoff; it never kills the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
from psycopg.rows import dict_row

from runner.backoff import Backoff
from runner.constants import FREE_TEXT_CHARS, NAME_CHARS, WORKER_BATCH_SIZE, WORKER_LANES, WORKER_LEASE_SECONDS
from runner.db import first_line
from runner.outbound import OutboundMessage, SendOutcome, Verdict
from runner.senders import Sender

DUE_CHANNEL = "scheduling_reminders_due"
EXIT_HALTED = 2


@dataclass
class WorkerSettings:
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    batch_size: int = WORKER_BATCH_SIZE
    lease_seconds: float = WORKER_LEASE_SECONDS
    lanes: int = WORKER_LANES
    max_idle_seconds: float = 30.0
    heartbeat_seconds: float = 15.0
    metrics_port: int | None = None


@dataclass
class WorkerCounts:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "retried": self.retried, "failed": self.failed, "released": self.released}


class SenderHalted(Exception):
    """The provider refused the sender itself; nothing more can be sent until a person fixes it."""

    def __init__(self, outcome: SendOutcome) -> None:
        super().__init__(f"{outcome.error_code}: {outcome.error_message}")
        self.outcome = outcome


class ReminderWorker:
    def __init__(
        self,
        url: str,
        sender: Sender,
        settings: WorkerSettings | None = None,
        log: Callable[[str], None] = print,
        on_ready: Callable[[], None] | None = None,
    ) -> None:
        self.on_ready = on_ready
        self.url = url
        self.sender = sender
        self.settings = settings or WorkerSettings()
        self.log = log
        self.counts = WorkerCounts()
        self.stop = asyncio.Event()
        self.wake = asyncio.Event()
        self.halted: SenderHalted | None = None
        self.rate_limited = False

    # ---- running -----------------------------------------------------------------------------
    async def run(self) -> int:
        """Run until stopped; 0 after a clean stop, 2 when the sender was halted by the provider."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            # Only possible in the main thread; tests running the worker in a thread stop it directly.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, self.request_stop)
        if self.on_ready is not None:
            self.on_ready()  # signals are handled from here on
        self.log(
            f"worker {self.settings.worker_id} started: sender {self.sender.name}, "
            f"{self.settings.lanes} lanes x {self.settings.batch_size}"
        )
        helpers = [asyncio.create_task(self._listen()), asyncio.create_task(self._heartbeat())]
        metrics = await self._start_metrics()
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
        self.log(f"worker {self.settings.worker_id} stopped: {self.counts.as_dict()}")
        return EXIT_HALTED if self.halted else 0

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
        """Tell the database this worker is alive (for `sessionkeeper healthcheck`); never fatal."""
        try:
            async with await self._connect() as conn:
                await conn.execute(
                    "SELECT scheduling.worker_heartbeat(%s, %s, %s::jsonb, %s)",
                    (self.settings.worker_id, self.sender.name, json.dumps(self.counts.as_dict()), stopped),
                )
        except psycopg.Error as problem:
            self.log(f"heartbeat not recorded: {first_line(problem)}")

    async def _start_metrics(self):
        """Serve Prometheus text metrics on 127.0.0.1:metrics_port when one is configured."""
        if not self.settings.metrics_port:
            return None
        from aiohttp import web

        async def metrics(request: web.Request) -> web.Response:
            return web.Response(text=self.metrics_text(), content_type="text/plain")

        app = web.Application()
        app.router.add_get("/metrics", metrics)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.settings.metrics_port).start()
        self.log(f"metrics on http://127.0.0.1:{self.settings.metrics_port}/metrics")
        return runner

    def metrics_text(self) -> str:
        worker = self.settings.worker_id.replace('"', "")
        lines = []
        for outcome, value in self.counts.as_dict().items():
            lines.append(f"# TYPE sessionkeeper_reminders_{outcome}_total counter")
            lines.append(f'sessionkeeper_reminders_{outcome}_total{{worker="{worker}"}} {value}')
        lines.append("# TYPE sessionkeeper_worker_halted gauge")
        lines.append(f'sessionkeeper_worker_halted{{worker="{worker}"}} {int(self.halted is not None)}')
        return "\n".join(lines) + "\n"

    async def _lane(self, number: int) -> None:
        backoff = Backoff()
        while not self.stop.is_set():
            try:
                async with await self._connect() as conn:
                    backoff.reset()
                    while not self.stop.is_set():
                        batch = await self.claim(conn)
                        if batch:
                            await self.deliver(conn, batch)
                        else:
                            await self._idle(conn)
            except psycopg.OperationalError as problem:
                await self._pause(self._log_lost(f"lane {number}", problem, backoff.next()))
            except psycopg.Error as problem:
                # A SQL error (a function missing after a bad deploy, say) is logged and retried.
                delay = backoff.next()
                self.log(f"lane {number}: {problem.sqlstate} {first_line(problem)}; retrying in {delay:g} s")
                await self._pause(delay)

    async def _idle(self, conn: psycopg.AsyncConnection) -> None:
        if self.rate_limited:
            query, args = "SELECT scheduling.seconds_until_send_tokens(%s)", (self.sender.sending_number,)
        else:
            query, args = "SELECT scheduling.seconds_until_next_reminder()", ()
        row = await (await conn.execute(query, args)).fetchone()
        seconds = row[0] if row and row[0] is not None else self.settings.max_idle_seconds
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
        self.log(f"{who}: database unavailable ({first_line(problem)}); retrying in {delay:g} s")
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
        async with conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(
                "SELECT * FROM scheduling.claim_due_reminders(%s, %s, make_interval(secs => %s))",
                (self.settings.worker_id, granted, self.settings.lease_seconds),
            )
            rows = await cursor.fetchall()
        if len(rows) < granted:
            await conn.execute("SELECT scheduling.return_send_tokens(%s, %s)", (number, granted - len(rows)))
        return [_message(row) for row in rows]

    async def deliver(self, conn: psycopg.AsyncConnection, batch: list[OutboundMessage]) -> None:
        outcomes = await asyncio.gather(*(self._send(message) for message in batch))
        halt = next((o for o in outcomes if o.verdict is Verdict.HALT), None)
        for message, outcome in zip(batch, outcomes, strict=True):
            try:
                await self._record(conn, message, outcome, halted=halt is not None)
            except psycopg.OperationalError:
                raise
            except psycopg.Error as problem:
                # Typically a refused attempt token: the lease expired and another worker owns the row.
                self.log(f"{message.reminder_key}: outcome not recorded ({problem.sqlstate}: {first_line(problem)})")
        if halt is not None and self.halted is None:
            self.halted = SenderHalted(halt)
            self.log(
                f"SENDING STOPPED: {self.sender.name} refused the sender itself "
                f"(code {halt.error_code}: {halt.error_message}). Rows were given back untouched; "
                "fix the credentials or the account, then start the worker again."
            )
            self.stop.set()

    async def _send(self, message: OutboundMessage) -> SendOutcome:
        try:
            return await self.sender.send(message)
        except Exception as problem:  # a sender bug must not lose the row: retry it later
            return SendOutcome(Verdict.RETRY, error_code="sender_error", error_message=repr(problem)[:200])

    async def _record(
        self, conn: psycopg.AsyncConnection, message: OutboundMessage, outcome: SendOutcome, *, halted: bool
    ) -> None:
        if outcome.verdict is Verdict.SENT:
            await conn.execute(
                "SELECT scheduling.record_reminder_sent(%s, %s, %s)",
                (message.reminder_id, message.attempt_token, outcome.provider_message_id),
            )
            self.counts.sent += 1
        elif halted and outcome.verdict is not Verdict.FAIL:
            # The sender is broken, not the message: give the row back without burning an attempt.
            await conn.execute(
                "SELECT scheduling.release_reminder(%s, %s, NULL, %s)",
                (message.reminder_id, message.attempt_token, f"sender halted: {_clip(outcome.error_code, NAME_CHARS)}"),
            )
            self.counts.released += 1
        else:
            retryable = outcome.verdict is Verdict.RETRY
            if outcome.uncertain:
                await conn.execute(
                    "SELECT scheduling.mark_reminder_uncertain(%s, %s)", (message.reminder_id, message.attempt_token)
                )
            await conn.execute(
                "SELECT scheduling.record_reminder_failure(%s, %s, %s, %s, %s)",
                (
                    message.reminder_id,
                    message.attempt_token,
                    _clip(outcome.error_code, NAME_CHARS),  # the database refuses longer ones (SK034)
                    _clip(outcome.error_message, FREE_TEXT_CHARS),
                    retryable,
                ),
            )
            if retryable:
                self.counts.retried += 1
            else:
                self.counts.failed += 1
            self.log(
                f"{message.reminder_key} attempt {message.attempt} "
                f"{'will retry' if retryable else 'failed'}: {outcome.error_code} {outcome.error_message}"
            )


def _message(row: dict) -> OutboundMessage:
    fields = OutboundMessage.__dataclass_fields__
    values = {name: row[name] for name in fields if name in row}
    values["body_parameters"] = [str(value) for value in (row.get("body_parameters") or [])]
    values["rendered_text"] = row.get("rendered_text") or ""
    return OutboundMessage(**values)


async def serve(
    url: str, settings: WorkerSettings, log: Callable[[str], None], on_ready: Callable[[], None] | None = None
) -> int:
    """Open the configured sender and run the worker until stopped; returns the exit status."""
    import aiohttp  # imported here: `sessionkeeper --help` stays fast

    from runner.senders import build_sender

    connector = aiohttp.TCPConnector(limit=max(settings.lanes * settings.batch_size, 10))
    async with aiohttp.ClientSession(connector=connector) as session:
        sender = build_sender(session, os.environ, say=log)
        return await ReminderWorker(url, sender, settings, log, on_ready).run()


def _clip(text: str | None, limit: int) -> str | None:
    """A provider's error text cut to what record_reminder_failure accepts: a long one must not lose the row."""
    return text if text is None or len(text) <= limit else text[: limit - 1] + "…"
