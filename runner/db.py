"""Finding and opening the database: an operator's URL, or the embedded cluster."""

from __future__ import annotations

import re

import psycopg

from runner.cluster import Cluster
from runner.config import LocalClusterSettings, external_database_url
from runner.errors import SessionkeeperError

_PASSWORD_IN_URL = re.compile(r"(postgres(?:ql)?://[^:/@]*:)([^@]*)(@)")


def redact(url: str) -> str:
    """The URL with its password replaced by ***, for messages and logs."""
    return _PASSWORD_IN_URL.sub(r"\1***\3", url)


def local_cluster() -> Cluster:
    try:
        settings = LocalClusterSettings.from_environment()
    except ValueError as problem:
        raise SessionkeeperError(str(problem)) from None
    return Cluster(settings.data_dir, settings.port, settings.dbname)


def resolve_url(*, start_local: bool) -> str:
    """The URL every command uses: SESSIONKEEPER_DATABASE_URL / DATABASE_URL when set, else the
    embedded cluster, started first when ``start_local`` (never when a URL is set)."""
    url = external_database_url()
    if url:
        return url
    cluster = local_cluster()
    if start_local:
        ensure_local_database(cluster)
    else:
        cluster.require_running()
    return cluster.url()


def ensure_local_database(cluster: Cluster) -> bool:
    """Start the embedded cluster and create its database; True when the server had to be started."""
    started = cluster.start()
    with connect(cluster.url("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (cluster.dbname,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{cluster.dbname}"')
    return started


def connect(url: str, *, autocommit: bool = False, **kwargs: object) -> psycopg.Connection:
    """Open a connection, turning a refusal into one readable line."""
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=10, **kwargs)
    except psycopg.OperationalError as problem:
        raise SessionkeeperError(f"cannot connect to {redact(url)}: {first_line(problem)}") from None
    except psycopg.ProgrammingError as problem:
        raise SessionkeeperError(f"bad database URL {redact(url)}: {first_line(problem)}") from None


def quote_ident(name: str) -> str:
    """An SQL identifier, double-quoted, for SQL shown to a person (executed SQL uses psycopg.sql)."""
    return '"' + name.replace('"', '""') + '"'


def first_line(problem: BaseException) -> str:
    text = str(problem).strip()
    return text.splitlines()[0] if text else type(problem).__name__
