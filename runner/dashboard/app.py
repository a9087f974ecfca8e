"""The dashboard's routes and server (`sessionkeeper serve`).

* ``GET /``: the page. ``GET /live``: its live fragment alone. ``GET /events``: server-sent events (``live``).
* ``POST /login`` (token), ``POST /logout``, ``POST /retry`` (csrf, code): the operator's actions; without a signed-in
  session and its CSRF token the answer is 403 and nothing changes.
* ``GET /metrics``: the database's figures in Prometheus' text format (runner.metrics: queue depth, oldest due
  age, transitions, halted senders), for a scraper that watches the dashboard's process rather than a worker's.
* With webhook secrets in the environment (as for `sessionkeeper webhook`), the webhook's routes too.
* The HTTP API for apps (runner.api): ``/api/...``, ``/health`` and ``/openapi.json``, with its own error shape.

Every text from the database goes through Jinja2 with autoescaping; a Content-Security-Policy allows only the
page's own inline script (by nonce) to run.
"""

from __future__ import annotations

import asyncio
import secrets
import signal
from dataclasses import dataclass
from ipaddress import ip_address

import psycopg
from aiohttp import web
from jinja2 import Environment, PackageLoader
from prometheus_client import CollectorRegistry

from runner import webhook
from runner.api import routes as api
from runner.dashboard import chart, queries
from runner.dashboard.auth import COOKIE, SESSION_SECONDS, Guard
from runner.dashboard.events import LiveFeed
from runner.db import first_line
from runner.errors import SessionkeeperError
from runner.logs import EventLog
from runner.metrics import DatabaseCollector, metrics_handler

ACTOR = "dashboard"
FEED = web.AppKey("feed", LiveFeed)
TEMPLATES = Environment(loader=PackageLoader("runner.dashboard", "templates"), autoescape=True)


@dataclass
class DashboardSettings:
    url: str
    host: str = "127.0.0.1"
    port: int = 8089
    guard: Guard | None = None
    webhook: webhook.WebhookSettings | None = None


async def _connect(url: str) -> psycopg.AsyncConnection:
    try:
        return await psycopg.AsyncConnection.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as problem:
        raise web.HTTPServiceUnavailable(text=f"database unavailable: {first_line(problem)}") from None


async def render_live(url: str) -> str:
    async with await _connect(url) as conn:
        sessions = await queries.sessions(conn)
        queue = await queries.queue(conn)
    return TEMPLATES.get_template("live.html").render(sessions=sessions, queue=queue)


def _loopback(host: str) -> bool:
    try:
        return ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def build_app(settings: DashboardSettings, log: EventLog) -> web.Application:
    guard = settings.guard or Guard(None)
    feed = LiveFeed(settings.url, lambda: render_live(settings.url), log)
    dashboard_paths = {"/", "/live", "/events", "/login", "/logout", "/retry"}

    @web.middleware
    async def headers(request: web.Request, handler):
        if request.path in dashboard_paths and _loopback(settings.host) and not _loopback(request.url.host or ""):
            # Bound to loopback, asked for by another name: a DNS-rebinding page, not an operator.
            return web.Response(status=403, text="forbidden: unexpected Host")
        request["nonce"] = secrets.token_urlsafe(16)
        response = await handler(request)
        if request.path in dashboard_paths:
            response.headers["Content-Security-Policy"] = (
                f"default-src 'none'; script-src 'nonce-{request['nonce']}'; style-src 'unsafe-inline'; "
                "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
            )
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Referrer-Policy"] = "no-referrer"
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    async def page(request: web.Request) -> web.Response:
        session = request.cookies.get(COOKIE)
        signed_in = guard.signed_in(session)
        async with await _connect(settings.url) as conn:
            sessions = await queries.sessions(conn)
            queue = await queries.queue(conn)
            trouble, failed_by_code = await queries.trouble(conn)
            now = (await (await conn.execute("SELECT now()")).fetchone())[0]
            activity = await queries.activity(conn, now)
            workshops = await queries.workshops(conn)
        cron = await queries.cron_jobs(settings.url)
        retried = request.query.get("retried", "")
        html = TEMPLATES.get_template("page.html").render(
            sessions=sessions,
            queue=queue,
            trouble=trouble,
            failed_by_code=failed_by_code,
            chart=chart.hourly_svg(activity),
            activity=activity,
            workshops=workshops,
            cron=cron,
            operator=guard.enabled,
            signed_in=signed_in,
            csrf=guard.csrf(session) if signed_in and session else "",
            retried=int(retried) if retried.isdigit() else None,
            login_failed="login" in request.query,
            nonce=request["nonce"],
        )
        return web.Response(text=html, content_type="text/html")

    async def live(request: web.Request) -> web.Response:
        return web.Response(text=await render_live(settings.url), content_type="text/html")

    def forbidden(why: str) -> web.Response:
        return web.Response(status=403, text=f"forbidden: {why}")

    async def login(request: web.Request) -> web.Response:
        if not guard.enabled:
            return forbidden("the dashboard is read-only (no operator token is configured)")
        form = await request.post()
        session = guard.sign_in(str(form.get("token", "")))
        if session is None:
            log.warning("dashboard: a sign-in with a wrong token was refused", event="dashboard.sign_in_refused")
            return forbidden("wrong operator token")
        response = web.HTTPSeeOther("/")
        response.set_cookie(COOKIE, session, httponly=True, samesite="Strict", max_age=SESSION_SECONDS, path="/")
        return response

    async def logout(request: web.Request) -> web.Response:
        form = await request.post()
        session = request.cookies.get(COOKIE)
        if not guard.allows(session, str(form.get("csrf", ""))):
            return forbidden("sign in with the operator token first; the form's CSRF token must match")
        guard.sign_out(session)
        response = web.HTTPSeeOther("/")
        response.del_cookie(COOKIE, path="/")
        return response

    async def retry(request: web.Request) -> web.Response:
        form = await request.post()
        if not guard.allows(request.cookies.get(COOKIE), str(form.get("csrf", ""))):
            return forbidden("sign in with the operator token first; the form's CSRF token must match")
        code = str(form.get("code", "")).strip() or None
        async with await _connect(settings.url) as conn:
            count = await queries.retry_failed(conn, code, ACTOR)
        log(f"dashboard: re-queued {count} failed reminder(s)" + (f" with error code {code}" if code else ""))
        raise web.HTTPSeeOther(f"/?retried={count}#trouble")

    async def on_startup(app: web.Application) -> None:
        feed.start()
        try:
            await asyncio.wait_for(feed.listening.wait(), 10)
        except TimeoutError:
            log("dashboard: not listening for status changes yet; live updates start once the database answers")

    async def on_cleanup(app: web.Application) -> None:
        await feed.stop()

    app = web.Application(middlewares=[api.error_middleware(log), headers], client_max_size=webhook.MAX_BODY_BYTES)
    app[FEED] = feed
    app.router.add_get("/", page)
    app.router.add_get("/live", live)
    app.router.add_get("/events", feed.stream)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_post("/retry", retry)
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(settings.url))
    app.router.add_get("/metrics", metrics_handler(registry))
    api.mount(app, settings.url)
    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    if settings.webhook is not None:
        _mount_webhook(app, settings, log)
    return app


def _mount_webhook(app: web.Application, settings: DashboardSettings, log: EventLog) -> None:
    """The webhook's routes (same paths as `sessionkeeper webhook`) in this application."""
    recorder = webhook.EventRecorder(settings.url, log)
    for route in webhook.build_app(settings.webhook, recorder, log).router.routes():
        app.router.add_route(route.method, route.resource.canonical, route.handler)

    async def close_recorder(app: web.Application) -> None:
        await recorder.close()

    app.on_cleanup.append(close_recorder)


async def serve(settings: DashboardSettings, log: EventLog) -> int:
    """Serve until SIGTERM or SIGINT; returns the exit status."""
    runner = web.AppRunner(build_app(settings, log), access_log=None, shutdown_timeout=2)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.host, settings.port).start()
    except OSError as problem:
        await runner.cleanup()
        raise SessionkeeperError(f"cannot listen on {settings.host}:{settings.port}: {problem.strerror}") from None
    mode = "operator actions need the token" if settings.guard and settings.guard.enabled else "read-only"
    extra = " and the webhook routes" if settings.webhook else ""
    log(f"dashboard{extra} on http://{settings.host}:{settings.port}/ ({mode})")
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    await stopped.wait()
    log("dashboard stopping")
    await runner.cleanup()
    return 0
