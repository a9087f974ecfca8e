"""`--json` for the commands that print data: one option, one way to turn rows into JSON."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import click


def jsonable(value: object) -> object:
    """A value as JSON has it: ISO times, seconds for intervals, text for what JSON has no type for."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    return value if isinstance(value, (int, float, str, bool, type(None))) else str(value)


def echo(document: object) -> None:
    """Print one JSON document on one line of stdout."""
    click.echo(json.dumps(jsonable(document)))


def option(what: str):
    """The --json flag, its help naming the document printed."""
    return click.option("--json", "as_json", is_flag=True, help=f"Print one JSON object: {what}.")
