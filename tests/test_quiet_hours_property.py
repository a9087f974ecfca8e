"""Property: scheduling_internal.quiet_hours_end agrees with a reference written with zoneinfo.

Quiet hours [start, end) are wall-clock times in the recipient's zone, same-day (12:00-14:00) or across
midnight (22:00-07:00). For an instant inside them the function returns the moment they end: the end
time on the right local date, read in the zone. Where that wall time is ambiguous (a fall-back overlap)
it is the first such instant after the given one; where it does not exist (a spring-forward gap) it moves
forward by the gap. Outside the quiet hours, or with none (equal bounds), NULL.

Instants are drawn near the DST changes of zones with 30-minute DST, negative DST, odd offsets and both
hemispheres (tests/property_support.py); SESSIONKEEPER_PROPERTY_EXAMPLES sets the number of examples.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.property_support import ZONES, Tally, examples, instants_near_changes, local_times, property_database

EXAMPLES = examples(300)


def expected_end(at: datetime, zone: str, quiet_start: time, quiet_end: time) -> datetime | None:
    if quiet_start == quiet_end:
        return None
    tz = ZoneInfo(zone)
    local = at.astimezone(tz)
    wall = local.time().replace(tzinfo=None)
    if quiet_start < quiet_end:
        if wall < quiet_start or wall >= quiet_end:
            return None
        end_day = local.date()
    else:
        if quiet_end <= wall < quiet_start:
            return None
        end_day = local.date() + timedelta(days=1) if wall >= quiet_start else local.date()
    end_wall = datetime.combine(end_day, quiet_end)
    readings = sorted(
        {
            instant
            for fold in (0, 1)
            if (instant := end_wall.replace(tzinfo=tz, fold=fold).astimezone(UTC)).astimezone(tz).replace(tzinfo=None)
            == end_wall
        }
    )
    if not readings:
        # In a gap: the offset before it, i.e. forward by the gap.
        return end_wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    return next(instant for instant in readings if instant > at)


@pytest.fixture(scope="module")
def conn(postgresql_noproc):
    with property_database(postgresql_noproc, "quiet_property") as connection:
        yield connection


@st.composite
def cases(draw) -> tuple[datetime, str, time, time]:
    zone = draw(st.sampled_from(ZONES))
    return draw(instants_near_changes(zone)), zone, draw(local_times()), draw(local_times())


def test_quiet_hours_end_matches_zoneinfo(conn):
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(case=cases())
    def ends_agree(case):
        at, zone, quiet_start, quiet_end = case
        actual = conn.execute(
            "SELECT scheduling_internal.quiet_hours_end(%s, %s, %s, %s)", (at, zone, quiet_start, quiet_end)
        ).fetchone()[0]
        tally.check(actual, expected_end(at, zone, quiet_start, quiet_end), f"{at} {zone} {quiet_start}-{quiet_end}")

    with Tally("quiet hours vs zoneinfo").reporting() as tally:
        ends_agree()
