"""The API's connections: a pool, and one transaction per request run as ``sessionkeeper_app`` for a token's name.

Each request's transaction switches to the application role first (``SET LOCAL ROLE``), so an API call can do
exactly what an app connected to PostgreSQL could, whatever the serving login may do besides; times are written
in UTC, and a statement that runs longer than 15 s is cancelled. The token is looked up in the same transaction,
by its SHA-256 only: the token itself is never sent to the database or written to a log.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import psycopg
from aiohttp import web
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from runner.api.errors import UNAUTHORIZED, ApiError, from_database, unavailable

APP_ROLE = "sessionkeeper_app"
POOL_SIZE = 10
WAIT_FOR_CONNECTION_SECONDS = 5.0
BEGIN_AS_APP = (
    "SELECT set_config('role', %s, true), set_config('TimeZone', 'UTC', true), "
    "set_config('statement_timeout', '15s', true), scheduling.api_token_actor(%s)"
)


@dataclass
class Transaction:
    """A request's open transaction and the actor (the API token's name) its writes are recorded under."""

    conn: psycopg.AsyncConnection
    actor: str

    async def value(self, sql: str, params: tuple | dict = ()) -> object:
        """The first column of the first row (None when no row)."""
        row = await (await self.conn.execute(sql, params)).fetchone()
        return None if row is None else next(iter(row.values()))

    async def row(self, sql: str, params: tuple | dict = ()) -> dict | None:
        return await (await self.conn.execute(sql, params)).fetchone()

    async def rows(self, sql: str, params: tuple | dict = ()) -> list[dict]:
        return await (await self.conn.execute(sql, params)).fetchall()


def bearer_token(request: web.Request) -> str:
    """The token of ``Authorization: Bearer <token>``, or SK079 (401) when there is none."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("an API token is needed: Authorization: Bearer <token>")
    return token.strip()


def unauthorized(message: str) -> ApiError:
    return ApiError(401, UNAUTHORIZED, message, {"WWW-Authenticate": 'Bearer realm="sessionkeeper"'})


def token_sha256(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


class Database:
    """The pool behind every API route; opened with the server, closed with it."""

    def __init__(self, url: str) -> None:
        self.pool = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=POOL_SIZE,
            open=False,
            kwargs={"row_factory": dict_row, "connect_timeout": 5},
            name="api",
        )

    async def open(self) -> None:
        await self.pool.open(wait=False)

    async def close(self) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def connection(self, wait: float = WAIT_FOR_CONNECTION_SECONDS) -> AsyncIterator[psycopg.AsyncConnection]:
        """A pooled connection, waiting at most ``wait`` seconds for one (its transaction committed when the block
        ends, rolled back on an error); database errors come out as their API answers."""
        try:
            async with self.pool.connection(timeout=wait) as conn:
                yield conn
        except PoolTimeout:
            raise unavailable(f"no connection within {wait:g} s") from None
        except psycopg.Error as problem:
            raise from_database(problem) from None

    @asynccontextmanager
    async def as_app(self, request: web.Request) -> AsyncIterator[Transaction]:
        """One transaction as the application role for the request's bearer token: SK079 (401) without a token or
        with an unknown or revoked one. Committed when the block ends without an error.

        A pooled connection is not checked before use (that would cost every request a round trip); when the
        database went away since (a restart, a failover), the first statement finds it broken before anything was
        done; the pool drops it and the request takes another (a new one, at the latest, once all are dropped)."""
        digest = token_sha256(bearer_token(request))
        attempts = POOL_SIZE + 1
        for attempt in range(1, attempts + 1):
            try:
                async with self.connection() as conn:
                    actor = await self._begin(conn, digest, may_retry=attempt < attempts)
                    yield Transaction(conn, actor)
                    return
            except _BrokenConnection:
                continue

    @staticmethod
    async def _begin(conn: psycopg.AsyncConnection, digest: bytes, *, may_retry: bool) -> str:
        """BEGIN, the role, the time zone, the timeout and the token's name, in one round trip (pipelined)."""
        try:
            async with conn.pipeline():
                cursor = await conn.execute(BEGIN_AS_APP, (APP_ROLE, digest))
            row = await cursor.fetchone()
        except psycopg.errors.InsufficientPrivilege:
            raise unavailable(
                f"the serving login may not act as {APP_ROLE} (GRANT {APP_ROLE} TO it, or serve with the owner's)"
            ) from None
        except psycopg.OperationalError:
            if may_retry and conn.broken:
                raise _BrokenConnection from None
            raise
        if row["api_token_actor"] is None:
            raise unauthorized("unknown or revoked API token")
        return row["api_token_actor"]


class _BrokenConnection(Exception):
    """A pooled connection found dead at a request's first statement; the pool drops it."""
