"""The API's routes: each one checks its input against the OpenAPI document, then calls one function or view of
schema ``scheduling`` in a transaction as the application role; the rules themselves live in the database."""

from __future__ import annotations

import hashlib
import json
from uuid import UUID

from aiohttp import web
from psycopg.types.json import Jsonb

from runner.api import contract
from runner.api.database import Database, Transaction
from runner.api.errors import (
    BOOKING_NOT_FOUND,
    INTERNAL,
    NO_ROUTE,
    SESSION_NOT_FOUND,
    TOO_LARGE,
    WORKSHOP_NOT_FOUND,
    ApiError,
    invalid,
    json_response,
    not_found,
    unavailable,
)
from runner.db import first_line
from runner.logs import EventLog

DATABASE = web.AppKey("api_database", Database)
PREFIXES = ("/api/", "/health", "/openapi.json")
HEALTH_WAIT_SECONDS = 2.0
QUERY_REASON_LIMIT = 200
SESSION_ACTIONS = {
    "start": "SELECT id FROM scheduling.start_session(%(id)s, p_actor => %(actor)s)",
    "complete": "SELECT id FROM scheduling.complete_session(%(id)s, p_actor => %(actor)s)",
    "cancel": "SELECT id FROM scheduling.cancel_session(%(id)s, %(reason)s, p_actor => %(actor)s)",
    "no-show": "SELECT id FROM scheduling.mark_no_show(%(id)s, p_actor => %(actor)s)",
}


def _id(request: web.Request, code: str, what: str) -> UUID:
    """The path's id; text that is no UUID names nothing, so it is as unknown as an id that was never issued."""
    text = request.match_info["id"]
    try:
        return UUID(text)
    except ValueError:
        raise not_found(code, f"{what} {text} not found") from None


async def _read(request: web.Request) -> bytes:
    """The raw body, at most 64 KiB (SK082, 413, beyond), read before any connection is taken."""
    if (request.content_length or 0) > contract.MAX_BODY_BYTES:
        raise _too_large()
    body = bytearray()
    while chunk := await request.content.read(contract.MAX_BODY_BYTES + 1 - len(body)):
        body += chunk
        if len(body) > contract.MAX_BODY_BYTES:
            raise _too_large()
    return bytes(body)


def _too_large() -> ApiError:
    return ApiError(413, TOO_LARGE, f"the body is over {contract.MAX_BODY_BYTES // 1024} KiB")


def _body(raw: bytes, schema: str, *, optional: bool = False) -> dict:
    if optional and not raw.strip():
        return {}
    return contract.check(schema, contract.parse_json(raw))


def _booking_schema(document: object) -> str:
    """Which of the two kinds of booking a body asks for: a 1:1 appointment names its host."""
    return "AppointmentBooking" if isinstance(document, dict) and "host_id" in document else "SeatBooking"


def _request_sha256(request: web.Request, document: object) -> bytes:
    canonical = json.dumps([request.method, request.path, document], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).digest()


async def _details(tx: Transaction, booking_id: object) -> dict:
    return await tx.value("SELECT scheduling.booking_details(%s)", (booking_id,))


async def _session(tx: Transaction, session_id: UUID) -> dict:
    row = await tx.row("SELECT * FROM scheduling.session_availability WHERE session_id = %s", (session_id,))
    if row is None:
        raise not_found(SESSION_NOT_FOUND, f"session {session_id} not found")
    return row


def _database(request: web.Request) -> Database:
    return request.app[DATABASE]


async def create_booking(request: web.Request) -> web.Response:
    raw = await _read(request)
    key = request.headers.get("Idempotency-Key")
    async with _database(request).as_app(request) as tx:
        document = contract.parse_json(raw)
        body = contract.check(_booking_schema(document), document)
        if key is not None:
            stored = await tx.value(
                "SELECT scheduling.begin_idempotent_request(%s, %s, %s)",
                (key, _request_sha256(request, body), tx.actor),
            )
            if stored is not None:
                return json_response(stored["body"], stored["status"], {"Idempotent-Replayed": "true"})
        if "host_id" in body:
            details = await tx.value(
                "SELECT scheduling.booking_details(scheduling.create_appointment(%(host_id)s, %(person_id)s, "
                "%(service)s, %(starts_at)s, %(ends_at)s, %(reminder_policy)s, %(actor)s, "
                "p_outside_working_hours => %(outside)s))",
                {
                    **body,
                    "reminder_policy": body.get("reminder_policy"),
                    "outside": body.get("outside_working_hours", False),
                    "actor": tx.actor,
                },
            )
        else:
            details = await tx.value(
                "SELECT scheduling.booking_details(scheduling.create_booking(%s, %s, %s, %s))",
                (body["session_id"], body["person_id"], body.get("order_reference"), tx.actor),
            )
        booking_id = details["booking"]["id"]
        if key is not None:
            await tx.value(
                "SELECT scheduling.finish_idempotent_request(%s, %s, 201, %s)", (key, tx.actor, Jsonb(details))
            )
    return json_response(details, 201, {"Location": f"/api/bookings/{booking_id}"})


async def get_booking(request: web.Request) -> web.Response:
    booking_id = _id(request, BOOKING_NOT_FOUND, "booking")
    async with _database(request).as_app(request) as tx:
        return json_response(await _details(tx, booking_id))


async def booking_reminders(request: web.Request) -> web.Response:
    booking_id = _id(request, BOOKING_NOT_FOUND, "booking")
    async with _database(request).as_app(request) as tx:
        details = await _details(tx, booking_id)
    return json_response({"booking_id": booking_id, "reminders": details["reminders"]})


async def reschedule_booking(request: web.Request) -> web.Response:
    booking_id = _id(request, BOOKING_NOT_FOUND, "booking")
    raw = await _read(request)
    async with _database(request).as_app(request) as tx:
        body = _body(raw, "RescheduleRequest")
        await tx.value(
            "SELECT id FROM scheduling.reschedule_booking(%s, %s, %s, %s)",
            (booking_id, body["starts_at"], body["ends_at"], tx.actor),
        )
        return json_response(await _details(tx, booking_id))


async def cancel_booking(request: web.Request) -> web.Response:
    booking_id = _id(request, BOOKING_NOT_FOUND, "booking")
    raw = await _read(request)
    async with _database(request).as_app(request) as tx:
        reason = _reason(request, _body(raw, "ReasonRequest", optional=True))
        await tx.value("SELECT id FROM scheduling.cancel_booking(%s, %s, %s)", (booking_id, reason, tx.actor))
        return json_response(await _details(tx, booking_id))


def _reason(request: web.Request, body: dict) -> str | None:
    """The optional reason, from the body or ``?reason=`` (up to 200 characters there: a URL is kept short), not
    both."""
    if "reason" not in request.query:
        return body.get("reason")
    if "reason" in body:
        raise invalid("give the reason in the body or as ?reason=, not both")
    if len(request.query["reason"]) > QUERY_REASON_LIMIT:
        raise invalid(f"?reason= takes up to {QUERY_REASON_LIMIT} characters; send a longer reason in the body")
    return request.query["reason"]


async def queue_stats(request: web.Request) -> web.Response:
    async with _database(request).as_app(request) as tx:
        return json_response(await tx.row("SELECT * FROM scheduling.queue_stats"))


async def list_sessions(request: web.Request) -> web.Response:
    bounds = {}
    for name in ("from", "to"):
        text = request.query.get(name)
        if text is None:
            raise invalid(f"the query parameter {name} is missing (an RFC 3339 time with an offset)")
        bounds[name] = contract.parse_time(text)
        if bounds[name] is None:
            raise invalid(f"the query parameter {name}: {text!r} is not an RFC 3339 time with an offset")
    async with _database(request).as_app(request) as tx:
        rows = await tx.rows("SELECT * FROM scheduling.sessions_between(%(from)s, %(to)s)", bounds)
    return json_response({"sessions": rows})


async def get_session(request: web.Request) -> web.Response:
    session_id = _id(request, SESSION_NOT_FOUND, "session")
    async with _database(request).as_app(request) as tx:
        return json_response(await _session(tx, session_id))


async def session_action(request: web.Request) -> web.Response:
    session_id = _id(request, SESSION_NOT_FOUND, "session")
    action = request.match_info["action"]
    raw = await _read(request)
    async with _database(request).as_app(request) as tx:
        reason = None
        if action == "cancel":
            reason = _reason(request, _body(raw, "ReasonRequest", optional=True))
        else:
            _body(raw, "EmptyRequest", optional=True)  # these actions take nothing: any field is unknown
        await tx.value(SESSION_ACTIONS[action], {"id": session_id, "actor": tx.actor, "reason": reason})
        return json_response(await _session(tx, session_id))


async def enroll(request: web.Request) -> web.Response:
    workshop_id = _id(request, WORKSHOP_NOT_FOUND, "workshop")
    raw = await _read(request)
    async with _database(request).as_app(request) as tx:
        body = _body(raw, "EnrollRequest")
        if "session_id" not in body:
            rows = await tx.rows(
                "SELECT session_id, day_number, booking_id, NULL::bigint AS waitlist_entry_id, "
                "'confirmed' AS outcome FROM scheduling.book_next_available(%s, %s, %s, %s)",
                (workshop_id, body["person_id"], body.get("order_reference"), tx.actor),
            )
        else:
            owner = await tx.value(
                "SELECT workshop_id FROM scheduling.session_availability WHERE session_id = %s", (body["session_id"],)
            )
            if owner != workshop_id:
                raise not_found(SESSION_NOT_FOUND, f"workshop {workshop_id} has no session {body['session_id']}")
            rows = await tx.rows(
                "SELECT session_id, day_number, booking_id, waitlist_entry_id, outcome "
                "FROM scheduling.enroll(%s, %s, %s, %s, %s, %s)",
                (
                    body["session_id"],
                    body["person_id"],
                    body.get("order_reference"),
                    body.get("whole_run", False),
                    body.get("waitlist", True),
                    tx.actor,
                ),
            )
    return json_response({"workshop_id": workshop_id, "enrollments": rows}, 201)


async def workshop_availability(request: web.Request) -> web.Response:
    workshop_id = _id(request, WORKSHOP_NOT_FOUND, "workshop")
    async with _database(request).as_app(request) as tx:
        return json_response(await tx.value("SELECT scheduling.workshop_availability(%s)", (workshop_id,)))


async def health(request: web.Request) -> web.Response:
    """200 when the database answers a query; 503 in the error shape when it does not. No token needed."""
    async with _database(request).connection(wait=HEALTH_WAIT_SECONDS) as conn:
        await conn.execute("SELECT 1")
    return json_response({"status": "ok"})


async def openapi(request: web.Request) -> web.Response:
    return json_response(contract.document())


def error_middleware(log: EventLog):
    """Every answer of the API's paths in the error shape: its own errors, unknown routes and methods, and anything
    unexpected (logged with its traceback, answered 500 without it)."""

    @web.middleware
    async def middleware(request: web.Request, handler):
        if not request.path.startswith(PREFIXES):
            return await handler(request)
        try:
            return await handler(request)
        except ApiError as problem:
            if problem.cause is not None:
                _log_unexpected(request, log, problem.cause)
            return problem.response()
        except web.HTTPMethodNotAllowed as problem:
            allowed = ", ".join(sorted(problem.allowed_methods))
            message = f"{request.method} is not allowed on {request.path} (allowed: {allowed})"
            return ApiError(405, NO_ROUTE, message, {"Allow": allowed}).response()
        except web.HTTPNotFound:
            return ApiError(404, NO_ROUTE, f"no route {request.method} {request.path}").response()
        except web.HTTPRequestEntityTooLarge:
            return _too_large().response()
        except OSError as problem:  # the connection to the database broke mid-request
            return unavailable(problem).response()
        except Exception as problem:
            _log_unexpected(request, log, problem)
            return ApiError(500, INTERNAL, "internal error (logged by the server)").response()

    return middleware


def _log_unexpected(request: web.Request, log: EventLog, problem: BaseException) -> None:
    """An error the client is answered 500 for, logged whole (with its traceback) for the operator."""
    log.logger.error(
        "API: %s %s failed: %s",
        request.method,
        request.path,
        first_line(problem),
        exc_info=(type(problem), problem, problem.__traceback__),
        extra={"event": "api.internal_error"},
    )


def mount(app: web.Application, url: str) -> None:
    """The API's routes and its pool in ``app`` (the middleware is passed when the application is made)."""
    database = Database(url)
    app[DATABASE] = database
    router = app.router
    router.add_post("/api/bookings", create_booking)
    router.add_get("/api/bookings/{id}", get_booking)
    router.add_patch("/api/bookings/{id}", reschedule_booking)
    router.add_delete("/api/bookings/{id}", cancel_booking)
    router.add_get("/api/bookings/{id}/reminders", booking_reminders)
    router.add_get("/api/queue/stats", queue_stats)
    router.add_get("/api/sessions", list_sessions)
    router.add_get("/api/sessions/{id}", get_session)
    router.add_post("/api/sessions/{id}/{action:start|complete|cancel|no-show}", session_action)
    router.add_post("/api/workshops/{id}/enroll", enroll)
    router.add_get("/api/workshops/{id}/availability", workshop_availability)
    router.add_get("/health", health)
    router.add_get("/openapi.json", openapi)

    async def open_pool(app: web.Application) -> None:
        await database.open()

    async def close_pool(app: web.Application) -> None:
        await database.close()

    app.on_startup.append(open_pool)
    app.on_cleanup.append(close_pool)
