"""`sessionkeeper healthcheck`: every way the system can stall, one named line each, an exit code per class."""

from __future__ import annotations

import json
import sys

import click
import psycopg
from psycopg.types.json import Jsonb

from runner import db, health
from runner.errors import SessionkeeperError
from runner.timeparse import FORMS_HELP, TIME

HELP = (
    "Check what can stall (scheduling.health_report): cron (pg_cron readable, wherever it lives), tick-stale "
    "(the last tick, from pg_cron or `tick --loop`), tick-paused (the tick job paused), cron-failing (a job's "
    "latest run failed), overdue-sessions, halted-senders, stuck-leases, oldest-due and heartbeats. Prints a "
    "verdict, then one line per check that is not ok. Exit 0 healthy, 1 unhealthy (a check fails), 2 database "
    "unreachable, 3 warnings only (e.g. pg_cron could not be read)."
)


def _seconds(name: str, default: int, what: str):
    return click.option(name, type=click.FloatRange(min=1), default=default, show_default=True, help=what)


@click.command(help=HELP)
@_seconds("--max-tick-age", 300, "Seconds since the last tick before tick-stale fails.")
@_seconds("--overdue-grace", 900, "Seconds past its start (or end) before a session that did not move is overdue.")
@_seconds("--max-heartbeat-age", 120, "Seconds since a worker's last heartbeat before it counts as gone.")
@_seconds("--max-due-age", 300, "Seconds a due reminder may wait before the queue counts as stuck.")
@_seconds("--max-lease-overdue", 900, "Seconds after its lease expired before a claimed reminder counts as stuck.")
@click.option("--at", "at", type=TIME, help=f"Judge as if it were this time ({FORMS_HELP}). Default: now().")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print one JSON object: {"status", "at", "checks": [{"check", "status", "detail", ...}]}.',
)
def healthcheck(
    max_tick_age: float,
    overdue_grace: float,
    max_heartbeat_age: float,
    max_due_age: float,
    max_lease_overdue: float,
    at,
    as_json: bool,
) -> None:
    try:
        url = db.resolve_url(start_local=False)
        with db.connect(url, autocommit=True) as conn:
            cron = health.cron_side(conn)
            report = conn.execute(
                "SELECT scheduling.health_report(%s, make_interval(secs => %s), make_interval(secs => %s), "
                "make_interval(secs => %s), make_interval(secs => %s), make_interval(secs => %s), "
                "coalesce(%s::timestamptz, now()))",
                (Jsonb(cron), max_tick_age, overdue_grace, max_heartbeat_age, max_due_age, max_lease_overdue, at),
            ).fetchone()[0]
    except (SessionkeeperError, psycopg.OperationalError) as problem:
        detail = f"database unreachable: {db.first_line(problem)}"
        if as_json:
            click.echo(json.dumps({"status": "unreachable", "detail": detail, "checks": []}))
        click.echo(f"unhealthy: {detail}", err=True)
        sys.exit(health.EXIT_UNREACHABLE)
    if as_json:
        click.echo(json.dumps(report))
    else:
        click.echo("\n".join(health.lines(report)))
    sys.exit(health.EXIT_CODES[report["status"]])


COMMANDS = [healthcheck]
