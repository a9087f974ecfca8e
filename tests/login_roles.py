"""Throwaway LOGIN roles in one of sessionkeeper's group roles, for tests that connect as an app, worker, ..."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg


@contextmanager
def login_in(admin_url: str, group: str) -> Iterator[str]:
    """A new login role that is a member of `group`; yields a URL like admin_url's that connects as it.

    Roles are cluster-wide, so each gets a unique name and is dropped afterwards.
    """
    name = f"sk_test_{group.removeprefix('sessionkeeper_')}_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(16)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{password}' IN ROLE {group}")
    parts = urlsplit(admin_url)
    netloc = f"{name}:{password}@{parts.hostname}:{parts.port}"
    try:
        yield urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (name,))
            admin.execute(f"DROP ROLE {name}")
