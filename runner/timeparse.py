"""Times typed on the command line, read the way a person writes them (and PostgreSQL accepts them).

``2026-12-01``, ``2026-12-01 10:05``, ``2026-12-01T10:05:30``, ``2026-12-01 10:05:30.5``, each optionally followed
(with or without a space) by ``Z`` or an offset ``+01``, ``+0100`` or ``+01:00``. A time without an offset is UTC,
whatever the machine's or the server's zone. Anything else, an impossible date (February 30) or a year outside
1900 to 9999 is click's usage error (exit 2) naming the option.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import click

_FORM = re.compile(
    r"""
    (?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})
    (?:
        [Tt\ ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,6}))?)?
        \ ?(?:(?P<zulu>[Zz])|(?P<sign>[+-])(?P<off_hours>\d{2})(?::?(?P<off_minutes>\d{2}))?)?
    )?
    """,
    re.VERBOSE,
)
FORMS_HELP = "e.g. 2026-12-01 10:05, 2026-12-01T10:05:30+01:00 or 2026-12-01 10:05 +01; no offset means UTC"


def parse_time(text: str) -> datetime:
    """The aware datetime ``text`` names; ValueError saying why not."""
    match = _FORM.fullmatch(text.strip())
    if not match:
        raise ValueError("expected YYYY-MM-DD, then optionally HH:MM[:SS] and an offset (Z, +01, +01:00)")
    part = match.groupdict()
    year = int(part["year"])
    if not 1900 <= year <= 9999:
        raise ValueError("the year must be 1900 to 9999")
    zone = UTC
    if part["sign"]:
        hours, minutes = int(part["off_hours"]), int(part["off_minutes"] or 0)
        if hours > 15 or minutes > 59:
            raise ValueError(f"offset {part['sign']}{part['off_hours']}{part['off_minutes'] or ''} is out of range")
        offset = timedelta(hours=hours, minutes=minutes)
        zone = timezone(offset if part["sign"] == "+" else -offset)
    fraction = (part["fraction"] or "").ljust(6, "0")
    return datetime(
        year,
        int(part["month"]),
        int(part["day"]),
        int(part["hour"] or 0),
        int(part["minute"] or 0),
        int(part["second"] or 0),
        int(fraction or 0),
        tzinfo=zone,
    )


class TimeParam(click.ParamType):
    """A click option type for parse_time: an aware datetime, UTC when no offset was typed."""

    name = "TIME"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        try:
            return parse_time(str(value))
        except ValueError as problem:
            self.fail(f"{value!r} is not a time: {problem}", param, ctx)


TIME = TimeParam()
