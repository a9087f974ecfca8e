"""Small helpers shared by the pytest files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql as pgsql

from runner.cluster import postgres_bindir

PROJECT = Path(__file__).resolve().parent.parent
SESSIONKEEPER = [sys.executable, "-m", "runner.cli"]


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the sessionkeeper CLI as an operator would, in its own process."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SESSIONKEEPER_DATABASE_URL")}
    full_env.update(env or {})
    return subprocess.run(
        [*SESSIONKEEPER, *args], capture_output=True, text=True, env=full_env, cwd=PROJECT, timeout=timeout
    )


def psql_program() -> str:
    """The psql of the PostgreSQL 15 in use, else the first on PATH."""
    candidate = postgres_bindir() / "psql"
    if candidate.is_file():
        return str(candidate)
    found = shutil.which("psql")
    if not found:
        raise AssertionError("psql not found: install postgresql-client-15 (make deps)")
    return found


def copy_project(destination: Path) -> Path:
    """A copy of migrations/ and sql/ to edit freely in a test."""
    for folder in ("migrations", "sql"):
        shutil.copytree(PROJECT / folder, destination / folder)
    return destination


def wait_until_blocked(conn, function: str, timeout: float = 10.0) -> None:
    """Until a call of ``function`` (on another connection) waits on a lock: a bounded poll of pg_stat_activity,
    not a sleep for time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s",
            (f"%{function}%",),
        ).fetchone()[0]
        if waiting:
            return
    raise AssertionError(f"{function} never waited on a lock")


def fingerprint_query(conn: psycopg.Connection) -> pgsql.Composed:
    """One query returning (relation, digest) for every table of scheduling and sessionkeeper_meta, cron.job when
    pg_cron is installed here, and every sequence of those schemas (its last value)."""
    relations = conn.execute(
        """
        SELECT n.nspname, c.relname, c.relkind
        FROM pg_class AS c
        INNER JOIN pg_namespace AS n ON c.relnamespace = n.oid
        WHERE
            (n.nspname IN ('scheduling', 'sessionkeeper_meta') AND c.relkind IN ('r', 'p', 'S'))
            OR (n.nspname = 'cron' AND c.relname = 'job' AND c.relkind = 'r')
        ORDER BY 1, 2
        """
    ).fetchall()
    parts = []
    for schema, name, kind in relations:
        relation = pgsql.Identifier(schema, name)
        label = pgsql.Literal(f"{schema}.{name}")
        if kind == "S":
            digest = pgsql.SQL("(SELECT last_value::text || '/' || is_called::text FROM {})").format(relation)
        else:
            digest = pgsql.SQL(
                "(SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM {} AS t)"
            ).format(relation)
        parts.append(pgsql.SQL("SELECT {}, {}").format(label, digest))
    return pgsql.SQL(" UNION ALL ").join(parts)


def fingerprint(conn: psycopg.Connection, query: pgsql.Composed | None = None) -> dict[str, str]:
    """relation -> digest of its rows (or a sequence's last value): equal before and after means nothing was
    written. Pass the query of fingerprint_query to reuse it."""
    return dict(conn.execute(query or fingerprint_query(conn)).fetchall())
