"""What every benchmark needs: a migrated database on a throwaway cluster, and honest timing.

Figures are medians of several runs, printed with the baseline measured in the same run, so a
number is always read as a ratio on this machine, never against a remembered constant.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

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
