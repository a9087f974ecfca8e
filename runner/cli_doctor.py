"""`sessionkeeper doctor`: is the server ready for sessionkeeper, and what fixes what is missing."""

from __future__ import annotations

import json
import sys

import click

from runner import config, db, doctor
from runner.errors import NotRunning, SessionkeeperError


def _connection_failure(problem: SessionkeeperError) -> doctor.Check:
    if isinstance(problem, NotRunning):
        fix = "sessionkeeper db up (or set SESSIONKEEPER_DATABASE_URL to the server to check)"
    elif isinstance(problem, db.NoWritableHost):
        fix = "wait for the failover to promote a standby, or check which host is the primary (pg_autoctl show state)"
    else:
        fix = "check SESSIONKEEPER_DATABASE_URL: host, port, user, password and database"
    return doctor.Check("connection", doctor.FAIL, str(problem), fix)


@click.command(
    "doctor",
    help="Check the server this tool is pointed at: PostgreSQL version, login, pg_cron and its jobs, group roles "
    "and the logins in them, time-zone data, migrations, clock, and whether tick runs. One line per item, with the "
    "command or SQL that fixes what is missing. Exit 0 when ready (warnings allowed), 1 when an item fails.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print one JSON object: {"ready": bool, "checks": [{"check", "status", "detail", "fix"}]}.',
)
def doctor_command(as_json: bool) -> None:
    try:
        url = db.resolve_url(start_local=False)
        conn = db.connect(url, autocommit=True)
    except SessionkeeperError as problem:
        checks = [_connection_failure(problem)]
    else:
        with conn:
            checks = doctor.run_checks(conn, config.project_dir())
    is_ready = doctor.ready(checks)
    if as_json:
        click.echo(json.dumps({"ready": is_ready, "checks": [check.as_dict() for check in checks]}))
    else:
        for check in checks:
            click.echo(doctor.format_line(check))
        failing = sum(check.status == doctor.FAIL for check in checks)
        warnings = sum(check.status == doctor.WARN for check in checks)
        noted = f", {warnings} warning(s)" if warnings else ""
        click.echo(f"ready{noted}" if is_ready else f"not ready: {failing} item(s) fail{noted}")
    sys.exit(0 if is_ready else 1)


COMMANDS = [doctor_command]
