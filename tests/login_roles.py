"""Throwaway LOGIN roles in one of sessionkeeper's group roles, for tests that connect as an app, worker, ..."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql


@contextmanager
def login_in(admin_url: str, group: str, *options: str, purpose: str | None = None) -> Iterator[str]:
    """A new login role that is a member of `group` (with extra CREATE ROLE ``options`` such as CREATEROLE);
    yields a URL like admin_url's that connects as it.

    Roles are cluster-wide, so each gets a unique name, and is dropped afterwards with whatever it owns.
    """
    name = f"sk_test_{purpose or group.removeprefix('sessionkeeper_')}_{secrets.token_hex(5)}"
    password = secrets.token_urlsafe(18)
    # CREATE ROLE takes no bind parameters: the password goes in as a quoted literal.
    statement = sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} " + " ".join(options) + " IN ROLE {}").format(
        sql.Identifier(name), sql.Literal(password), sql.Identifier(group)
    )
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(statement)
    parts = urlsplit(admin_url)
    netloc = f"{name}:{password}@{parts.hostname}:{parts.port}"
    try:
        yield urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (name,))
            admin.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
            admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))
