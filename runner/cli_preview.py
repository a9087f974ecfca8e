"""`sessionkeeper preview`: what tick, the reminder claim and recurring generation would do by a time."""

from __future__ import annotations

import click

from runner import db, preview
from runner.timeparse import FORMS_HELP, TIME


@click.command(
    "preview",
    help="Show what would happen by --at if tick and the scheduled jobs ran then (scheduling.preview): session "
    "steps, reminders claimed, skipped or expired, recurring sessions generated. Writes nothing.",
)
@click.option("--at", "at", type=TIME, required=True, help=f"The time to look at ({FORMS_HELP}).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per row.")
def preview_command(at, as_json: bool) -> None:
    with db.connect(db.resolve_url(start_local=False), autocommit=True) as conn:
        echo_preview(conn, at, as_json=as_json)


def echo_preview(conn, at, *, as_json: bool) -> None:
    """Print preview's rows at ``at`` (the server's now() when None) as text or JSON."""
    when, rows = preview.fetch(conn, at)
    click.echo(preview.as_json(rows) if as_json else preview.as_text(when, rows))


COMMANDS = [preview_command]
