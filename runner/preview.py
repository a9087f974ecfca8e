"""What scheduling.preview says would happen by a time, fetched and printed for a person or as JSON.

Shared by `sessionkeeper preview --at` and `sessionkeeper tick --dry-run`. Reading the preview writes nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import psycopg
from psycopg.rows import dict_row

KINDS = {"session": "session steps", "reminder": "reminders", "generated": "sessions to generate"}


def fetch(conn: psycopg.Connection, at: datetime | None) -> tuple[datetime, list[dict]]:
    """The time previewed (the server's now() when ``at`` is None) and preview's rows, times in UTC."""
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    # The detail texts print times in the session's zone: UTC, like the rest of the output.
    conn.execute("SET TIME ZONE 'UTC'")
    with conn.cursor(row_factory=dict_row) as cursor:
        when = at or cursor.execute("SELECT now() AS now").fetchone()["now"]
        rows = cursor.execute("SELECT * FROM scheduling.preview(%s)", (when,)).fetchall()
    return when.astimezone(UTC), rows


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def as_json(rows: list[dict]) -> str:
    """A JSON list, one object per row with every column of scheduling.preview."""
    return json.dumps([{key: _plain(value) for key, value in row.items()} for row in rows], indent=2)


def _stamp(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ") if value else "-"


def _line(row: dict) -> str:
    move = f"{row['from_state'] or '(new)'} -> {row['to_state']}"
    if row["kind"] == "session":
        delayed = " (delayed)" if row["is_delayed"] else ""
        return f"  {_stamp(row['happens_at'])}  {row['id']}  {row['title']}: {move}{delayed}"
    if row["kind"] == "reminder":
        return f"  {_stamp(row['happens_at'])}  {row['reminder_key']}  {row['title']}: {move}: {row['detail']}"
    return f"  {_stamp(row['happens_at'])}  template {row['id']}  {row['title']}: {move} ({row['occurrence_date']})"


def as_text(at: datetime, rows: list[dict]) -> str:
    """One line per row, grouped by kind, then a count line."""
    lines = [f"preview at {_stamp(at)} (nothing was changed)"]
    counts = {kind: sum(row["kind"] == kind for row in rows) for kind in KINDS}
    for kind, label in KINDS.items():
        if counts[kind]:
            lines.append(f"{label}:")
            lines.extend(_line(row) for row in rows if row["kind"] == kind)
    lines.append(f"{len(rows)} in all: " + ", ".join(f"{counts[kind]} {label}" for kind, label in KINDS.items()))
    return "\n".join(lines)
