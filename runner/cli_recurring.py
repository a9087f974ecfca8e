"""`sessionkeeper generate`: what the nightly pg_cron job does, by hand, with a progress bar."""

from __future__ import annotations

import contextlib
import uuid

import click
import psycopg

from runner import db, jsonout
from runner.constants import DEFAULT_GENERATION_DAYS
from runner.errors import SessionkeeperError


@click.command(
    help="Create the sessions of the next --days days from recurring templates "
    "(scheduling.generate_recurring_sessions), for one template or every active one. "
    "Idempotent: a second run creates nothing."
)
@click.option("--template", "template_id", help="Only this template (its id).")
@click.option(
    "--days", type=click.IntRange(1, 366), default=DEFAULT_GENERATION_DAYS, show_default=True, help="How far ahead."
)
@jsonout.option('{"templates": count, "created": count, "failed": [text]}; exit 1 when a template failed')
def generate(template_id: str | None, days: int, as_json: bool) -> None:
    url = db.resolve_url(start_local=False)
    with db.connect(url, autocommit=True) as conn:
        if template_id is not None:
            try:
                uuid.UUID(template_id)
            except ValueError:
                raise SessionkeeperError(f"{template_id!r} is not a template id (a UUID)") from None
            templates = [template_id]
        else:
            templates = [
                str(row[0])
                for row in conn.execute(
                    "SELECT id FROM scheduling.session_templates WHERE status = 'active' ORDER BY created_at, id"
                )
            ]
        created, failed = 0, []
        # A progress bar for the nightly sweep only: for one template it would be a second stderr line next to
        # an error.
        progress = (
            contextlib.nullcontext(templates)
            if template_id is not None
            else click.progressbar(
                templates, label=f"generating {days} days", file=click.get_text_stream("stderr"), show_pos=True
            )
        )
        with progress as bar:
            for template in bar:
                try:
                    rows = conn.execute(
                        "SELECT count(*) FROM scheduling.generate_recurring_sessions(%s::uuid, %s)",
                        (template, days),
                    ).fetchone()
                    created += rows[0]
                except psycopg.OperationalError:
                    raise
                except psycopg.Error as problem:
                    if template_id is not None:
                        raise
                    failed.append(f"{template}: {problem.sqlstate} {db.first_line(problem)}")
    if as_json:
        jsonout.echo({"templates": len(templates), "created": created, "failed": failed})
    else:
        click.echo(f"{len(templates)} template(s), {created} session(s) created")
    for line in failed:
        click.echo(f"failed: {line}", err=True)
    if failed:
        raise SessionkeeperError(f"{len(failed)} template(s) failed; the others were generated")


COMMANDS = [generate]
