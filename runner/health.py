"""What `sessionkeeper healthcheck` hands scheduling.health_report about pg_cron, which may live in another database.

The SQL function judges; this module only reads what SQL in the application database cannot: this database's
pg_cron jobs and each one's latest run, from pg_cron's database (found as `cron list` finds it). Whatever goes
wrong on the way becomes ``{"problem": ...}``, so the check warns instead of crashing.
"""

from __future__ import annotations

import psycopg

from runner import schedules
from runner.db import first_line
from runner.jsonout import jsonable

HEALTHY, WARNING, UNHEALTHY = "healthy", "warning", "unhealthy"
EXIT_CODES = {HEALTHY: 0, UNHEALTHY: 1, WARNING: 3}
EXIT_UNREACHABLE = 2


def cron_side(conn: psycopg.Connection) -> dict:
    """p_cron for scheduling.health_report: the jobs and their latest runs, or why they could not be read."""
    try:
        place = schedules.locate(conn)
    except psycopg.Error as problem:
        return {"problem": f"cannot look for pg_cron: {first_line(problem)}"}
    if place.off:
        return {"off": True}
    if not place.usable:
        return {"problem": place.problem}
    try:
        with schedules.cron_connection(conn, place) as cron:
            jobs = schedules.read_pg_cron_jobs(cron, place)
            runs = schedules.last_runs(cron, [job.jobid for job in jobs])
    except psycopg.Error as problem:
        return {"problem": f"cannot read pg_cron in database {place.cron_database}: {first_line(problem)}"}
    return {"database": place.cron_database, "jobs": jsonable(schedules.job_reports(jobs, runs))}


def summary(report: dict) -> str:
    """The first line: the verdict and the checks that are not ok."""
    failing = [c["check"] for c in report["checks"] if c["status"] == "fail"]
    warning = [c["check"] for c in report["checks"] if c["status"] in ("warn", "unknown")]
    if not failing and not warning:
        return f"{HEALTHY}: {len(report['checks'])} checks ok"
    parts = [f"{len(failing)} failing ({', '.join(failing)})"] if failing else []
    parts += [f"{len(warning)} warning(s) ({', '.join(warning)})"] if warning else []
    return f"{report['status']}: {', '.join(parts)}"


def lines(report: dict) -> list[str]:
    """The summary, then one named line per check that is not ok."""
    return [summary(report)] + [f"{c['check']}: {c['detail']}" for c in report["checks"] if c["status"] != "ok"]
