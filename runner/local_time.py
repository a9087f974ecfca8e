"""Times as a recipient reads them, the way the database writes them in reasons.

``format_local_time`` gives the text of ``scheduling_internal.format_local_time``: 'Monday 23 November
2026, 10:00 (Asia/Kolkata)'. The CLI formats here, in Python, because the views are read by roles that may not
call the database's internal helpers. English names whatever the locale, as the SQL does (no TM prefix).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_local_time(moment: datetime | None, time_zone: str | None) -> str | None:
    """``moment`` in ``time_zone`` (None: UTC) as 'Monday 23 November 2026, 10:00 (Asia/Kolkata)'; None stays None.
    A zone Python does not know is shown in UTC, named so."""
    if moment is None:
        return None
    zone_name = time_zone or "UTC"
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone_name, zone = "UTC", ZoneInfo("UTC")
    local = moment.astimezone(zone)
    return (
        f"{DAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]} {local.year:04d}, "
        f"{local.hour:02d}:{local.minute:02d} ({zone_name})"
    )
