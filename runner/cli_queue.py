"""Operator commands about the reminder queue: stats, reminders, retry-failed, demo."""

from __future__ import annotations

import json
import time
from datetime import datetime

import click
import psycopg
from psycopg.rows import dict_row

from runner import config, db, jsonout, reminder_report
from runner.errors import SessionkeeperError
from runner.migrate import migrate_and_report
from runner.timeparse import FORMS_HELP, TIME


@click.command(
    help="Show the reminder queue (scheduling.queue_stats): waiting, delayed, active, completed, "
    "failed, cancelled, skipped, expired, uncertain, undelivered (sent, then reported not delivered), and the age "
    "of the oldest due row."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--watch",
    "every",
    type=click.FloatRange(min=0.5),
    default=None,
    help="Print again every this many seconds until Ctrl-C.",
)
def stats(as_json: bool, every: float | None) -> None:
    url = db.resolve_url(start_local=False)
    with db.connect(url, autocommit=True) as conn:
        while True:
            row = conn.cursor(row_factory=dict_row).execute("SELECT * FROM scheduling.queue_stats").fetchone()
            values = {key: jsonout.jsonable(value) for key, value in row.items()}
            if as_json:
                click.echo(json.dumps(values))
            else:
                click.echo("  ".join(f"{key}={value}" for key, value in values.items()))
            if every is None:
                return
            try:
                time.sleep(every)
            except KeyboardInterrupt:
                return


@click.command(
    help="List the outbox rows of one booking (scheduling.reminder_status), a block each: key, kind, state "
    "and why, template and language (and whether the person's, the policy's or the default), due time and "
    "next attempt, attempts, last error, provider message id, delivery report, and UNCERTAIN when it may have "
    "reached the recipient more than once or after it was closed. Times in the recipient's local time; --json "
    "gives ISO times."
)
@click.argument("booking_id")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per line.")
def reminders(booking_id: str, as_json: bool) -> None:
    url = db.resolve_url(start_local=False)
    with db.connect(url, autocommit=True) as conn:
        try:
            exists = conn.execute("SELECT 1 FROM scheduling.bookings WHERE id = %s::uuid", (booking_id,)).fetchone()
        except psycopg.errors.InvalidTextRepresentation:
            raise SessionkeeperError(f"{booking_id!r} is not a booking id (a UUID)") from None
        if not exists:
            raise SessionkeeperError(f"no booking {booking_id}")
        rows = (
            conn.cursor(row_factory=dict_row)
            .execute(
                "SELECT * FROM scheduling.reminder_status WHERE booking_id = %s::uuid ORDER BY due_at, reminder_key",
                (booking_id,),
            )
            .fetchall()
        )
    if not rows and not as_json:
        click.echo("no reminders planned for this booking")
    if as_json:
        for row in rows:
            click.echo(json.dumps({key: jsonout.jsonable(value) for key, value in row.items()}))
    elif rows:
        click.echo("\n\n".join(reminder_report.describe(row) for row in rows))


@click.command(
    "retry-failed",
    help="Put failed reminders back in the queue, due now, with fresh attempts "
    "(those past their deadline expire instead).",
)
@click.option("--since", type=TIME, help=f"Only rows that failed at or after this time ({FORMS_HELP}).")
@click.option("--code", help="Only rows whose last provider error code is this (e.g. 131026).")
@jsonout.option('{"requeued": count}')
def retry_failed(since: datetime | None, code: str | None, as_json: bool) -> None:
    url = db.resolve_url(start_local=False)
    with db.connect(url, autocommit=True) as conn:
        count = conn.execute("SELECT scheduling.retry_failed_reminders(%s, %s)", (since, code)).fetchone()[0]
    if as_json:
        jsonout.echo({"requeued": count})
    else:
        click.echo(f"re-queued {count} failed reminder(s)")


def add_demo_data(url: str, say) -> None:
    with db.connect(url, autocommit=True) as conn:
        result = conn.execute("SELECT scheduling.create_demo_data()").fetchone()[0]
    say(
        f"demo: added {len(result['bookings']) - 1} appointments whose reminders fall due in 15, 30 and 45 s, "
        "and one cancelled appointment (its message is due now)"
    )


@click.command(
    help="Add demo sessions and bookings whose WhatsApp reminders fall due within a minute "
    "(fictional +1 555 numbers). Migrates first."
)
def demo() -> None:
    url = db.resolve_url(start_local=True)
    migrate_and_report(url, config.project_dir(), say=lambda line: None)
    add_demo_data(url, click.echo)


COMMANDS = [stats, reminders, retry_failed, demo]
