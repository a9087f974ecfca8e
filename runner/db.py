"""Finding and opening the database: an operator's URL, or the embedded cluster."""

from __future__ import annotations

import re

import psycopg
from psycopg.conninfo import conninfo_to_dict

from runner.cluster import Cluster
from runner.config import LocalClusterSettings, external_database_url
from runner.errors import SessionkeeperError

_PASSWORD_IN_URL = re.compile(r"(postgres(?:ql)?://[^:/@]*:)([^@]*)(@)")
_PASSWORD_IN_CONNINFO = re.compile(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)")
# Sessions that accept writes: a URL listing several hosts without target_session_attrs gets the first of these.
WRITABLE_ATTRS = ("read-write", "primary")
# What libpq says about a host that is up but does not accept writes (target_session_attrs=read-write / primary).
_STANDBY_SIGNS = ("session is read-only", "hot standby mode", "is not the primary")
# What libpq says about a host that cannot take a session now: down, starting, stopping, or being promoted.
_DOWN_SIGNS = (
    "connection refused",
    "timeout",
    "timed out",
    "could not connect",
    "no route to host",
    "is the server running",
    "starting up",
    "shutting down",
    "not yet accepting connections",
    "recovery mode",
    "server closed the connection",
    "could not translate host name",
)


class NoWritableHost(SessionkeeperError):
    """Every host a multi-host URL names is a standby or unreachable: retry later (a failover may be under way)."""


def redact(url: str) -> str:
    """The URL (or key=value connection string) with its password replaced by ***, for messages and logs."""
    return _PASSWORD_IN_CONNINFO.sub(r"\1***", _PASSWORD_IN_URL.sub(r"\1***\3", url))


def _parameters(url: str) -> dict:
    try:
        return conninfo_to_dict(url)
    except psycopg.Error:
        return {}  # not a URL: connect says so


def hosts(url: str) -> list[str]:
    """The hosts a URL names, as ``host:port`` (a port given once applies to every host), for messages."""
    params = _parameters(url)
    names = str(params.get("host") or params.get("hostaddr") or "").split(",")
    ports = str(params.get("port") or "").split(",")
    if len(ports) == 1:
        ports = ports * len(names)
    return [f"{name}:{port}" if port else name for name, port in zip(names, ports, strict=False) if name]


def for_writing(url: str) -> str:
    """``url`` made safe for writing: when it names several hosts and says nothing about target_session_attrs,
    ``target_session_attrs=read-write`` is added, so that libpq skips standbys and only ever lands on the primary."""
    params = _parameters(url)
    if len(hosts(url)) < 2 or "target_session_attrs" in params:
        return url
    if "://" not in url:
        return f"{url} target_session_attrs=read-write"
    return f"{url}{'&' if '?' in url else '?'}target_session_attrs=read-write"


def no_writable_host(url: str, problem: BaseException) -> NoWritableHost | None:
    """The one-line error when ``problem`` (a failed connection) means that no host of a multi-host URL asking for a
    writable session accepts writes right now, every host being a standby or unreachable; else None."""
    if isinstance(problem, NoWritableHost):
        return problem
    names = hosts(url)
    if len(names) < 2 or _parameters(url).get("target_session_attrs") not in WRITABLE_ATTRS:
        return None
    text = str(problem).lower()
    # psycopg lists each host's failure on a line of its own ("- host: ...: reason").
    failures = [line for line in text.splitlines() if line.startswith("- ")] or [text]
    if not all(any(sign in line for sign in _STANDBY_SIGNS + _DOWN_SIGNS) for line in failures):
        return None  # a wrong password or a missing database says so itself
    return NoWritableHost(f"no host in {','.join(names)} accepts writes (all are standbys or unreachable)")


def reason(url: str, problem: BaseException) -> str:
    """One line on why a connection to ``url`` failed: no writable host, else what the server or libpq said."""
    none_writable = no_writable_host(url, problem)
    return str(none_writable) if none_writable is not None else first_line(problem)


def unavailable(url: str, problem: BaseException) -> str:
    """How a long-running loop names a lost or refused connection, before it says when it retries."""
    if no_writable_host(url, problem) is not None:
        return reason(url, problem)
    return f"database unavailable ({first_line(problem)})"


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
        return for_writing(url)
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
    except psycopg.Error as problem:
        raise _refusal(url, problem) from None


def _refusal(url: str, problem: psycopg.Error) -> SessionkeeperError:
    if isinstance(problem, psycopg.ProgrammingError):
        return SessionkeeperError(f"bad database URL {redact(url)}: {first_line(problem)}")
    refused = SessionkeeperError(f"cannot connect to {redact(url)}: {first_line(problem)}")
    return no_writable_host(url, problem) or refused


def quote_ident(name: str) -> str:
    """An SQL identifier, double-quoted, for SQL shown to a person (executed SQL uses psycopg.sql)."""
    return '"' + name.replace('"', '""') + '"'


def first_line(problem: BaseException) -> str:
    text = str(problem).strip()
    return text.splitlines()[0] if text else type(problem).__name__
