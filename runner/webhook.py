"""`sessionkeeper webhook`: WhatsApp's inbound webhook (Cloud API and Twilio routes) in front of the database.

Routes:

* ``GET /whatsapp``: Meta's verification handshake (hub.mode=subscribe, hub.verify_token, hub.challenge).
* ``POST /whatsapp``: Cloud API notifications, signed with X-Hub-Signature-256 (the app secret).
* ``POST /twilio``: Twilio status callbacks and incoming messages, signed with X-Twilio-Signature (the auth token).
* ``GET /healthz``: 200 when the database answers.

A request whose signature is missing or wrong gets 403 and touches nothing. Signed events go to
``scheduling.record_delivery_status`` and ``scheduling.record_inbound_message``, which make redelivery harmless.
A failed delivery report goes with the verdict of ``runner.senders.classify`` on its error code (the lists the
worker uses for failed sends), so the database retries or closes the row by the same rule.
An event the database refuses as bad input is logged and skipped (answering an error would make the provider
resend it forever); when the database is unreachable the answer is 503, so the provider retries later.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
from aiohttp import web

from runner import signatures
from runner.db import first_line, reason
from runner.errors import SessionkeeperError
from runner.logs import EventLog
from runner.senders.classify import delivery_failure_retryable
from runner.webhook_payloads import Event, InboundMessage, PayloadError, cloud_api_events, twilio_events

MAX_BODY_BYTES = 1024 * 1024
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@dataclass
class WebhookSettings:
    host: str = "127.0.0.1"
    port: int = 8088
    app_secret: str | None = None
    verify_token: str | None = None
    twilio_auth_token: str | None = None
    public_url: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str], host: str, port: int) -> WebhookSettings:
        settings = cls(
            host=host,
            port=port,
            app_secret=env.get("WHATSAPP_APP_SECRET") or None,
            verify_token=env.get("WHATSAPP_VERIFY_TOKEN") or None,
            twilio_auth_token=env.get("TWILIO_AUTH_TOKEN") or env.get("WHATSAPP_AUTH_TOKEN") or None,
            public_url=(env.get("SESSIONKEEPER_WEBHOOK_PUBLIC_URL") or "").rstrip("/") or None,
        )
        if not (settings.app_secret or settings.twilio_auth_token):
            raise SessionkeeperError(
                "nothing to serve: set WHATSAPP_APP_SECRET (Cloud API) and/or TWILIO_AUTH_TOKEN (Twilio) so that "
                "webhooks can be verified"
            )
        return settings


class DatabaseUnavailable(Exception):
    """The database cannot be reached right now; the provider should retry."""


class EventRecorder:
    """One connection, used by one request at a time, reopened when it is lost."""

    def __init__(self, url: str, log: EventLog) -> None:
        self.url = url
        self.log = log
        self._conn: psycopg.AsyncConnection | None = None
        self._lock = asyncio.Lock()

    async def _connection(self) -> psycopg.AsyncConnection:
        if self._conn is None or self._conn.closed:
            try:
                self._conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True, connect_timeout=5)
            except psycopg.OperationalError as problem:
                raise DatabaseUnavailable(reason(self.url, problem)) from None
        return self._conn

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()

    async def ping(self) -> None:
        async with self._lock:
            await self._in_transaction(lambda conn: conn.execute("SELECT 1"))

    async def record(self, events: list[Event]) -> list[str]:
        """Record the events of one request in one transaction (one commit); returns an outcome word per event.

        First all at once; when the database refuses one as bad input, again with a savepoint per event, so the
        refused one is skipped and the others go in. (Savepoints cost two round trips per event: only then.)
        """

        async def record_all(conn: psycopg.AsyncConnection, careful: bool) -> list[str]:
            return [await self._record_one(conn, event, careful=careful) for event in events]

        async with self._lock:
            try:
                return await self._in_transaction(lambda conn: record_all(conn, False))
            except psycopg.Error as problem:
                if not _is_bad_input(problem):
                    raise
            return await self._in_transaction(lambda conn: record_all(conn, True))

    async def _in_transaction(self, work: Callable[[psycopg.AsyncConnection], Any]) -> Any:
        for attempt in (1, 2):
            conn = await self._connection()
            try:
                async with conn.transaction():
                    return await work(conn)
            except psycopg.OperationalError as problem:
                # The connection died (server restart): reconnect once, then give up for this request.
                await conn.close()
                if attempt == 2:
                    raise DatabaseUnavailable(reason(self.url, problem)) from None
        raise AssertionError("unreachable")

    async def _record_one(self, conn: psycopg.AsyncConnection, event: Event, *, careful: bool) -> str:
        if isinstance(event, InboundMessage):
            query = "SELECT scheduling.record_inbound_message(%s, %s, %s, %s, %s, %s)"
            params: tuple[Any, ...] = (
                event.provider,
                event.provider_message_id,
                event.from_phone,
                event.body,
                event.in_reply_to,
                event.received_at,
            )
        else:
            query = "SELECT scheduling.record_delivery_status(%s, %s, %s, %s, %s, %s, p_retryable => %s)"
            params = (
                event.provider,
                event.provider_message_id,
                event.status,
                event.status_at,
                event.error_code,
                event.error_message,
                delivery_failure_retryable(event.provider, event.error_code),
            )
        if not careful:
            row = await (await conn.execute(query, params)).fetchone()
        else:
            try:
                async with conn.transaction():
                    row = await (await conn.execute(query, params)).fetchone()
            except psycopg.Error as problem:
                if _is_bad_input(problem):
                    return self._refused(event, problem)
                raise
        result = row[0] if row else None
        if isinstance(result, dict):
            word = result.get("action", "stored")
            return f"{word} (duplicate)" if result.get("duplicate") else word
        return str(result)

    def _refused(self, event: Event, problem: psycopg.Error) -> str:
        message = (problem.diag.message_primary or str(problem)).strip()
        what = f"{event.provider} event {event.provider_message_id!r}"
        self.log.warning(f"webhook: refused {what}: {message} [{problem.sqlstate}]", event="webhook.refused")
        return "refused"


def _is_bad_input(problem: psycopg.Error) -> bool:
    """sessionkeeper's own SKnnn codes and PostgreSQL's data exceptions (class 22) mean "bad input"."""
    return (problem.sqlstate or "")[:2] in ("SK", "22")


def _summary(outcomes: list[str]) -> str:
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome] = counts.get(outcome, 0) + 1
    return ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items())) or "no events"


def build_app(settings: WebhookSettings, recorder: EventRecorder, log: EventLog) -> web.Application:
    async def record(route: str, events: list[Event]) -> None:
        try:
            outcomes = await recorder.record(events)
        except DatabaseUnavailable as problem:
            log.warning(
                f"webhook {route}: database unavailable, answered 503 so the provider retries: {problem}",
                event="database.unavailable",
            )
            raise web.HTTPServiceUnavailable(text="database unavailable") from None
        except psycopg.Error as problem:
            message = (problem.diag.message_primary or str(problem)).strip()
            log.error(f"webhook {route}: 500: {message} [{problem.sqlstate}]", event="webhook.error")
            raise web.HTTPInternalServerError(text="internal error") from None
        log(f"webhook {route}: {_summary(outcomes)}", event="webhook.recorded")

    def refuse(route: str, request: web.Request, why: str) -> web.Response:
        log.warning(f"webhook {route}: 403 for {request.remote}: {why}", event="webhook.forbidden")
        return web.Response(status=403, text="forbidden")

    async def whatsapp_verify(request: web.Request) -> web.Response:
        query = request.query
        token = query.get("hub.verify_token", "")
        if (
            settings.verify_token
            and query.get("hub.mode") == "subscribe"
            and hmac.compare_digest(token.encode(), settings.verify_token.encode())
        ):
            log("webhook /whatsapp: verification handshake answered", event="webhook.handshake")
            return web.Response(text=query.get("hub.challenge", ""))
        return refuse("/whatsapp", request, "verification with a wrong or missing verify token")

    async def whatsapp_notify(request: web.Request) -> web.Response:
        body = await request.read()
        header = request.headers.get(signatures.META_HEADER)
        if not settings.app_secret:
            return refuse("/whatsapp", request, "WHATSAPP_APP_SECRET is not set, so nothing can be verified")
        if not signatures.meta_signature_ok(settings.app_secret, body, header):
            return refuse("/whatsapp", request, "missing or wrong X-Hub-Signature-256")
        try:
            events = cloud_api_events(json.loads(body))
        except (ValueError, PayloadError) as problem:
            log.warning(f"webhook /whatsapp: 400: {first_line(problem)}", event="webhook.bad_request")
            return web.Response(status=400, text="bad payload")
        await record("/whatsapp", events)
        return web.Response(text="ok")

    async def twilio_notify(request: web.Request) -> web.Response:
        form = await request.post()
        params = [(name, str(value)) for name, value in form.items()]
        url = f"{settings.public_url}{request.path_qs}" if settings.public_url else str(request.url)
        header = request.headers.get(signatures.TWILIO_HEADER)
        if not settings.twilio_auth_token:
            return refuse("/twilio", request, "TWILIO_AUTH_TOKEN is not set, so nothing can be verified")
        if not signatures.twilio_signature_ok(settings.twilio_auth_token, url, params, header):
            return refuse("/twilio", request, f"missing or wrong X-Twilio-Signature for {url}")
        try:
            events = twilio_events({name: value for name, value in params})
        except PayloadError as problem:
            log.warning(f"webhook /twilio: 400: {problem}", event="webhook.bad_request")
            return web.Response(status=400, text="bad payload")
        await record("/twilio", events)
        return web.Response(text=EMPTY_TWIML, content_type="text/xml")

    async def healthz(request: web.Request) -> web.Response:
        try:
            await recorder.ping()
        except (DatabaseUnavailable, psycopg.Error):
            return web.Response(status=503, text="database unavailable")
        return web.Response(text="ok")

    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_get("/whatsapp", whatsapp_verify)
    app.router.add_post("/whatsapp", whatsapp_notify)
    app.router.add_post("/twilio", twilio_notify)
    app.router.add_get("/healthz", healthz)
    return app


async def serve(url: str, settings: WebhookSettings, log: EventLog) -> int:
    """Serve until SIGTERM or SIGINT; returns the exit status."""
    recorder = EventRecorder(url, log)
    runner = web.AppRunner(build_app(settings, recorder, log), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.host, settings.port).start()
    except OSError as problem:
        await runner.cleanup()
        raise SessionkeeperError(f"cannot listen on {settings.host}:{settings.port}: {problem.strerror}") from None
    routes = [name for name, on in (("/whatsapp", settings.app_secret), ("/twilio", settings.twilio_auth_token)) if on]
    log(
        f"webhook listening on http://{settings.host}:{settings.port} ({', '.join(routes)} verified)",
        event="webhook.started",
    )
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    await stopped.wait()
    log("webhook stopping", event="webhook.stopped")
    await runner.cleanup()
    await recorder.close()
    return 0
