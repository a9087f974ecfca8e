"""What the property tests (recurrence vs dateutil, quiet hours vs zoneinfo) share.

The number of examples comes from SESSIONKEEPER_PROPERTY_EXAMPLES (`make soak` sets 10,000; `make test`
keeps each test's small default). Each test prints one summary line, `<name>: N examples, M mismatches`,
which `pytest -s` shows. The zones and local times are the ones where time arithmetic goes wrong: DST of
30 minutes (Lord Howe), negative DST (Dublin), odd offsets (Kathmandu, Chatham, Kolkata), changes at
midnight (Santiago), both hemispheres, and the minutes in and around each gap and overlap.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import psycopg
from hypothesis import strategies as st

EXAMPLES_ENV = "SESSIONKEEPER_PROPERTY_EXAMPLES"

ZONES = [
    "Australia/Lord_Howe",
    "Europe/Dublin",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "Asia/Kolkata",
    "America/Santiago",
    "Australia/Sydney",
    "America/New_York",
    "Europe/Berlin",
    "UTC",
]

# Local times at and around the DST changes of ZONES: midnight (Santiago), 01:00-03:00 (Europe, America,
# Sydney), 02:00/02:30 (Lord Howe), 02:45/03:45 (Chatham); the minute before and after each.
EDGE_TIMES = sorted(
    {
        time(h, m)
        for h, m in [
            (0, 0), (0, 1), (0, 30), (0, 59), (1, 0), (1, 1), (1, 30), (1, 59), (2, 0), (2, 1), (2, 15),
            (2, 29), (2, 30), (2, 31), (2, 44), (2, 45), (2, 46), (2, 59), (3, 0), (3, 1), (3, 30), (3, 44),
            (3, 45), (3, 46), (3, 59), (4, 0), (22, 0), (23, 0), (23, 30), (23, 59),
        ]
    }
)  # fmt: skip

YEARS = (2026, 2027)


def examples(default: int) -> int:
    """How many examples each property test runs: SESSIONKEEPER_PROPERTY_EXAMPLES, else default."""
    value = os.environ.get(EXAMPLES_ENV, "").strip()
    return int(value) if value else default


@cache
def transitions(zone: str) -> tuple[datetime, ...]:
    """The instants (UTC) at which zone changes its offset during YEARS, to the minute."""
    tz = ZoneInfo(zone)
    found = []
    moment = datetime(YEARS[0], 1, 1, tzinfo=UTC)
    end = datetime(YEARS[-1] + 1, 1, 1, tzinfo=UTC)
    while moment < end:
        after = moment + timedelta(hours=6)
        if moment.astimezone(tz).utcoffset() != after.astimezone(tz).utcoffset():
            low, high = moment, after
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(tz).utcoffset() == low.astimezone(tz).utcoffset():
                    low = middle
                else:
                    high = middle
            found.append(high)
        moment = after
    return tuple(found)


def transition_dates(zone: str) -> list[date]:
    """The local dates on which zone's offset changes (both sides of the change)."""
    tz = ZoneInfo(zone)
    days = set()
    for instant in transitions(zone):
        days.add((instant - timedelta(minutes=1)).astimezone(tz).date())
        days.add(instant.astimezone(tz).date())
    return sorted(days)


def local_times() -> st.SearchStrategy[time]:
    """A wall-clock time: mostly at or around a DST change, else any minute of the day."""
    return st.one_of(
        st.sampled_from(EDGE_TIMES),
        st.builds(time, st.integers(0, 23), st.integers(0, 59)),
    )


@st.composite
def dates_near_changes(draw, zone: str) -> date:
    """A date in YEARS, often within a few days of one of zone's DST changes."""
    days = transition_dates(zone)
    if days and draw(st.booleans()):
        return draw(st.sampled_from(days)) + timedelta(days=draw(st.integers(-3, 3)))
    return draw(st.dates(min_value=date(YEARS[0], 1, 1), max_value=date(YEARS[0], 12, 31)))


@st.composite
def instants_near_changes(draw, zone: str) -> datetime:
    """An instant (UTC, to the second), often within a day and a half of one of zone's DST changes."""
    changes = transitions(zone)
    if changes and draw(st.booleans()):
        return draw(st.sampled_from(changes)) + timedelta(seconds=draw(st.integers(-36 * 3600, 36 * 3600)))
    start = datetime(YEARS[0], 1, 1, tzinfo=UTC)
    return start + timedelta(seconds=draw(st.integers(0, 2 * 366 * 86400)))


@contextmanager
def property_database(info, suffix: str) -> Iterator[psycopg.Connection]:
    """A copy of the migrated template database for one property test module, dropped by the next run."""
    base = f"postgresql://{info.user}:{info.password}@{info.host}:{info.port}"
    name = f"{info.template_dbname}_{suffix}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{info.template_dbname}"')
    with psycopg.connect(f"{base}/{name}") as connection:
        yield connection


@dataclass
class Tally:
    """Examples run and mismatches found by one property test; prints its summary line when it ends."""

    name: str
    examples: int = 0
    mismatches: int = 0

    def check(self, actual, expected, context: str) -> None:
        self.examples += 1
        if actual != expected:
            self.mismatches += 1
        assert actual == expected, context

    @contextmanager
    def reporting(self) -> Iterator[Tally]:
        try:
            yield self
        finally:
            print(f"\n{self.name}: {self.examples} examples, {self.mismatches} mismatches")
