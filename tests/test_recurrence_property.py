"""Property: the occurrences the SQL computes equal python-dateutil's rrule for the same rule.

Random rules (DAILY/WEEKLY/MONTHLY, INTERVAL, BYDAY with and without ordinals, BYMONTHDAY, COUNT,
UNTIL), start dates and zones, over a year, so DST changes are crossed. Expected instants: the local
wall time in the zone with fold=0, i.e. a time in a spring-forward gap moves forward by the gap and
an ambiguous fall-back time takes the first instant, the rules the SQL documents.

UNTIL is drawn in RFC 5545's UTC date-time form, which is what the RFC requires with a date-time
start. The date form (`UNTIL=20260131`) is accepted too and includes that whole local date; dateutil
reads it as midnight instead, so that form is covered by pgTAP (210_recurring_rules.sql), not here.

Zones, local start times (in and around DST gaps and overlaps) and start dates (near the zone's DST
changes) come from tests/property_support.py; SESSIONKEEPER_PROPERTY_EXAMPLES sets the number of
examples (`make soak`: 10,000).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil import rrule
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.property_support import ZONES, Tally, dates_near_changes, examples, local_times, property_database

EXAMPLES = examples(150)
WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
HORIZON_DAYS = 366


@st.composite
def rules(draw) -> str:
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY"]))
    parts = [f"FREQ={freq}"]
    interval = draw(st.integers(1, 3))
    if interval > 1:
        parts.append(f"INTERVAL={interval}")
    if freq == "WEEKLY" and draw(st.booleans()):
        days = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=3, unique=True))
        parts.append("BYDAY=" + ",".join(days))
    if freq == "MONTHLY":
        kind = draw(st.sampled_from(["none", "monthday", "ordinal"]))
        if kind == "monthday":
            parts.append(f"BYMONTHDAY={draw(st.sampled_from([1, 15, 28, 29, 30, 31, -1]))}")
        elif kind == "ordinal":
            parts.append(f"BYDAY={draw(st.sampled_from(['1', '2', '3', '4', '-1']))}{draw(st.sampled_from(WEEKDAYS))}")
    end = draw(st.sampled_from(["none", "count", "until"]))
    if end == "count":
        parts.append(f"COUNT={draw(st.integers(1, 40))}")
    elif end == "until":
        until = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(
            days=draw(st.integers(30, 500)), minutes=draw(st.integers(0, 1439))
        )
        parts.append(f"UNTIL={until:%Y%m%dT%H%M%S}Z")
    return ";".join(parts)


def expected(rule: str, first: date, local_start: time, zone: str, to: date) -> list[datetime]:
    tz = ZoneInfo(zone)
    # An aware start: dateutil steps in wall-clock time in the zone and compares UNTIL as an instant.
    start = datetime.combine(first, local_start, tzinfo=tz)
    occurrences = rrule.rrulestr(rule, dtstart=start)
    limit = datetime.combine(to, time(23, 59, 59), tzinfo=tz)
    return [occurrence.replace(fold=0).astimezone(UTC) for occurrence in occurrences.between(start, limit, inc=True)]


@pytest.fixture(scope="module")
def conn(postgresql_noproc):
    # One migrated database for the whole property run; each example rolls back.
    with property_database(postgresql_noproc, "property") as connection:
        host = connection.execute("SELECT scheduling.create_person('Host', NULL, 'UTC')").fetchone()[0]
        connection.commit()
        yield connection, host


@st.composite
def starts(draw) -> tuple[str, date, time]:
    zone = draw(st.sampled_from(ZONES))
    return zone, draw(dates_near_changes(zone)), draw(local_times())


def test_sql_occurrences_match_dateutil(conn):
    conn, host = conn

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(rule=rules(), start=starts())
    def occurrences_agree(rule, start):
        zone, first, local_start = start
        to = first + timedelta(days=HORIZON_DAYS)
        try:
            template = conn.execute(
                "SELECT scheduling.create_template(%s, 'property', %s, %s, %s, interval '1 hour', %s)",
                (host, rule, first, local_start, zone),
            ).fetchone()[0]
            actual = [
                row[0]
                for row in conn.execute(
                    "SELECT starts_at FROM scheduling.template_occurrences(%s, %s, %s) ORDER BY starts_at",
                    (template, first, to),
                )
            ]
        finally:
            conn.rollback()
        tally.check(actual, expected(rule, first, local_start, zone, to), f"{rule} from {first} {local_start} {zone}")

    with Tally("recurrence vs dateutil").reporting() as tally:
        occurrences_agree()
