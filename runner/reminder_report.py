"""One outbox row (a row of scheduling.reminder_status) as a short block of text for an operator.

Every time is in the recipient's local time with its zone, as the reasons written by the database are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.local_time import format_local_time

UNCERTAIN_NOTE = "UNCERTAIN: may have reached the recipient more than once, or after it was closed"


def _delivery(row: Mapping[str, Any], local) -> str | None:
    status = row.get("delivery_status")
    if status is None:
        return "no report yet" if row.get("provider_message_id") else None
    details = []
    if row.get("delivered_at"):
        details.append(f"delivered {local(row['delivered_at'])}")
    if row.get("read_at"):
        details.append(f"read {local(row['read_at'])}")
    if status == "failed":
        details.append(f"error {row.get('delivery_error_code') or '(no code)'}")
    return status + (f" ({'; '.join(details)})" if details else "")


def _text(row: Mapping[str, Any]) -> str | None:
    """Template and language, and why that language: the person's, the policy's, or the default."""
    if not row.get("template_name"):
        return None
    source = f" ({row['language_source']})" if row.get("language_source") else ""
    return f"{row['template_name']} in {row.get('language')}{source}"


def describe(row: Mapping[str, Any]) -> str:
    """The block for one row: key (and the UNCERTAIN flag), then one labelled line per fact that is known."""
    zone = row.get("recipient_time_zone")

    def local(moment):
        return format_local_time(moment, zone)

    next_attempt = row["next_attempt_at"] if row.get("next_attempt_at") != row["due_at"] else None
    facts = [
        ("kind", f"{row['kind']}    state: {row['state']}    attempts: {row['attempts']}"),
        ("reason", row.get("state_reason")),
        ("text", _text(row)),
        ("due", local(row["due_at"])),
        ("next attempt", local(next_attempt)),
        ("sent", local(row.get("sent_at"))),
        ("last error", row.get("last_error")),
        ("provider id", row.get("provider_message_id")),
        ("delivery", _delivery(row, local)),
    ]
    lines = [row["reminder_key"] + ("  [UNCERTAIN]" if row.get("uncertain") else "")]
    lines += [f"  {label + ':':<14}{value}" for label, value in facts if value is not None]
    if row.get("uncertain"):
        lines.append(f"  {UNCERTAIN_NOTE}")
    return "\n".join(lines)
