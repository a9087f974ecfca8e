"""The API's one error shape, ``{"error": {"code": "SK012", "message": "..."}}``, and the HTTP status of each code.

A database error keeps the SQLSTATE the function raised as its code; the status says what kind of problem it is:
404 something named does not exist, 409 it exists but the action conflicts with its state (full, already booked,
wrong status, host busy), 422 the input is refused, 503 the database does not answer. The API's own codes
(SK079 to SK085) cover what never reaches the database.
"""

from __future__ import annotations

import psycopg
from aiohttp import web

from runner.db import first_line
from runner.jsonout import jsonable

UNAUTHORIZED = "SK079"
MALFORMED_JSON = "SK080"
NOT_AS_DOCUMENTED = "SK081"
TOO_LARGE = "SK082"
UNAVAILABLE = "SK083"
NO_ROUTE = "SK084"
INTERNAL = "SK085"

SESSION_NOT_FOUND = "SK001"
BOOKING_NOT_FOUND = "SK010"
WORKSHOP_NOT_FOUND = "SK028"

# Everything named in a request that does not exist: the session, person, booking, template, workshop, run.
NOT_FOUND = {"SK001", "SK002", "SK007", "SK010", "SK019", "SK022", "SK028", "SK029", "SK075"}
# It exists, but its state refuses the action: wrong status or time, already booked, full, nothing left, taken.
CONFLICT = {
    "SK003", "SK008", "SK011", "SK012", "SK013", "SK014", "SK026", "SK030", "SK032", "SK033", "SK041", "SK049",
    "SK055", "SK059", "SK063", "SK064", "SK074",
    "23505",  # unique_violation: two requests raced for the same thing
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
}  # fmt: skip
# The database is there but cannot take the request now: a standby, shutting down, out of connections.
UNAVAILABLE_STATES = {"25006", "57P01", "57P02", "57P03", "53300", "57014"}


class ApiError(Exception):
    """An answer in the error shape: ``status``, ``code`` and one readable ``message``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        cause: BaseException | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}
        self.cause = cause  # what the server logs and the client never sees

    def response(self) -> web.Response:
        return json_response({"error": {"code": self.code, "message": self.message}}, self.status, self.headers)


def json_response(document: object, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    response = web.json_response(jsonable(document), status=status, headers=headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def status_of(sqlstate: str) -> int:
    """The HTTP status that fits a SQLSTATE the database raised."""
    if sqlstate in NOT_FOUND:
        return 404
    if sqlstate in CONFLICT:
        return 409
    if sqlstate in UNAVAILABLE_STATES or sqlstate.startswith("08"):
        return 503
    if sqlstate.startswith("SK") or sqlstate[:2] in {"22", "23"}:
        return 422  # the project's input checks, data exceptions (bad value, cast) and constraint violations
    return 500


def from_database(problem: psycopg.Error) -> ApiError:
    """The error answer for a database error: its SQLSTATE and first line, or SK083 when the database is away."""
    sqlstate = problem.sqlstate or ""
    if not sqlstate and isinstance(problem, psycopg.DataError):
        # refused by psycopg before sending, e.g. a text with a NUL character, which PostgreSQL's text cannot hold
        return invalid(f"a value the database cannot take: {first_line(problem)}")
    status = status_of(sqlstate) if sqlstate else 503
    if status == 503:
        return unavailable(problem)
    if status == 500:
        return ApiError(500, INTERNAL, "internal error (logged by the server)", cause=problem)
    return ApiError(status, sqlstate, first_line(problem))


def unavailable(problem: BaseException | str) -> ApiError:
    text = problem if isinstance(problem, str) else first_line(problem)
    return ApiError(503, UNAVAILABLE, f"database unavailable: {text}", {"Retry-After": "5"})


def not_found(code: str, message: str) -> ApiError:
    return ApiError(404, code, message)


def invalid(message: str, code: str = NOT_AS_DOCUMENTED) -> ApiError:
    return ApiError(422, code, message)
