"""What every benchmark needs: a migrated database on a throwaway cluster, and honest timing.

Figures are medians of several runs, printed with the baseline measured in the same run, so a
number is always read as a ratio on this machine, never against a remembered constant.
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from runner.db import connect  # noqa: E402
from runner.migrate import Migrator  # noqa: E402
from runner.schedules import SCHEDULING_OFF  # noqa: E402
from runner.scratch import scratch_cluster  # noqa: E402


@contextmanager
def migrated_database(dbname: str = "sessionkeeper_bench") -> Iterator[str]:
    """A URL to a freshly migrated database on a throwaway cluster, removed afterwards."""
    with scratch_cluster(dbname) as cluster:
        with connect(cluster.url("postgres"), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{dbname}"')
        url = cluster.url(dbname)
        with connect(url, autocommit=True) as conn:
            # No pg_cron jobs: the real tick, every minute, would move the rows a benchmark is measuring.
            Migrator(conn, PROJECT, say=lambda line: None, cron_database=SCHEDULING_OFF).run()
        yield url


def median_seconds(action: Callable[[], object], *, repeat: int = 5) -> float:
    """The median wall time of ``action`` over ``repeat`` runs."""
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def print_table(title: str, rows: list[tuple[str, str, str]]) -> None:
    print(f"\n{title}")
    width = max(len(name) for name, _, _ in rows)
    for name, figure, note in rows:
        print(f"  {name:<{width}}  {figure:>14}  {note}")


TARGET_COLUMNS = ("what", "measured", "baseline in the same run", "ratio", "target")


def print_targets(title: str, rows: list[tuple[str, str, str, str, str]]) -> None:
    """One table of targets: each row (what, measured, baseline in the same run, ratio, target), as text."""
    table = [TARGET_COLUMNS, *rows]
    widths = [max(len(row[column]) for row in table) for column in range(len(TARGET_COLUMNS))]
    print(f"\n{title}")
    for number, row in enumerate(table):
        print("  " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if number == 0:
            print("  " + "-+-".join("-" * width for width in widths))


@dataclass
class Profile:
    """Where one statement's time went: its nested statements and triggers, as auto_explain saw them."""

    total_ms: float = 0.0
    statements: list[tuple[float, str]] = field(default_factory=list)  # (ms, first words), slowest first
    triggers: dict[str, tuple[float, int]] = field(default_factory=dict)  # name -> (ms, calls), summed
    jit_ms: float = 0.0
    min_ms: float = 0.0

    def lines(self, limit: int = 6) -> list[str]:
        out = [
            f"where the time goes ({self.total_ms:.1f} ms in all; {len(self.statements)} nested statements took "
            f"{self.min_ms:g} ms or more; the slowest, then the row triggers):"
        ]
        for ms, text in self.statements[:limit]:
            out.append(f"  {ms:9.1f} ms  {text}")
        for name, (ms, calls) in sorted(self.triggers.items(), key=lambda item: -item[1][0])[:limit]:
            out.append(f"  {ms:9.1f} ms  {name} ({calls:,} calls)")
        if self.triggers and self.total_ms:
            all_ms = sum(ms for ms, _ in self.triggers.values())
            keys_ms = sum(ms for name, (ms, _) in self.triggers.items() if name.startswith("Trigger for constraint"))
            out.append(
                f"  row triggers in all {all_ms:.1f} ms ({all_ms / self.total_ms:.0%}), of which foreign-key checks "
                f"{keys_ms:.1f} ms ({keys_ms / self.total_ms:.0%})"
            )
        if self.jit_ms:
            out.append(f"  {self.jit_ms:9.1f} ms  JIT compilation")
        return out


_DURATION = re.compile(r"duration: ([0-9.]+) ms")
_TRIGGER = re.compile(r"^\s*(Trigger[^:]*): time=([0-9.]+) calls=([0-9]+)", re.MULTILINE)
_JIT = re.compile(r"Timing: .*Total ([0-9.]+) ms")


def _statement_words(plan: str, width: int = 90) -> str:
    # The query's text runs up to the plan's first line (its root node, with its cost).
    text = re.split(r"\n\S[^\n]*\(cost=", plan.split("Query Text:", 1)[-1], maxsplit=1)[0]
    words = " ".join(line.split("--", 1)[0].strip() for line in text.splitlines())
    words = " ".join(words.split())
    names = re.findall(r"(?:^WITH|\),)\s+(\w+) AS (?:MATERIALIZED )?\(", words)
    if names:  # a statement of CTEs reads best by their names
        words = f"WITH {', '.join(names)} …"
    return words if len(words) <= width else words[: width - 1] + "…"


def profile_statement(conn: Any, query: str, params: Any = None, *, min_ms: float = 1.0) -> Profile:
    """Run ``query`` once, rolled back, with auto_explain reporting every nested statement over ``min_ms``
    to this connection; the outermost statement gives the total. Needs a superuser (LOAD)."""
    plans: list[str] = []

    def collect(diagnostic: Any) -> None:
        if diagnostic.message_primary and "duration:" in diagnostic.message_primary:
            plans.append(diagnostic.message_primary)

    conn.add_notice_handler(collect)
    try:
        with conn.transaction(force_rollback=True):
            conn.execute("LOAD 'auto_explain'")
            for name, value in (
                ("auto_explain.log_min_duration", str(min_ms)),
                ("auto_explain.log_analyze", "on"),
                ("auto_explain.log_timing", "on"),
                ("auto_explain.log_triggers", "on"),
                ("auto_explain.log_nested_statements", "on"),
                ("auto_explain.log_level", "notice"),
            ):
                conn.execute("SELECT set_config(%s, %s, true)", (name, value))
            conn.execute(query, params)
    finally:
        conn.remove_notice_handler(collect)
    profile = Profile(min_ms=min_ms)
    if not plans:
        return profile
    *nested, outer = plans
    profile.total_ms = float(_DURATION.search(outer).group(1))
    for plan in nested:
        profile.statements.append((float(_DURATION.search(plan).group(1)), _statement_words(plan)))
    profile.statements.sort(reverse=True)
    for plan in plans:
        for name, ms, calls in _TRIGGER.findall(plan):
            seen_ms, seen_calls = profile.triggers.get(name, (0.0, 0))
            profile.triggers[name] = (seen_ms + float(ms), seen_calls + int(calls))
        jit = _JIT.search(plan)
        if jit:
            profile.jit_ms += float(jit.group(1))
    return profile


def print_profile(title: str, profile: Profile) -> None:
    print(f"\n{title}")
    for line in profile.lines():
        print(f"  {line}")
