"""`sessionkeeper healthcheck` against real PostgreSQL and pg_cron: one named line per finding, an exit code per class.

The test databases live beside pg_cron's own database (pg_cron elsewhere, no jobs of theirs); the pg_cron test
uses that database itself, where the tick job runs. pg_cron 1.4 schedules by the minute, so the failing-run test
polls cron.job_run_details (bounded) until its job has really run and failed.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from tests.conftest import CRON_DBNAME
from tests.helpers import run_cli

CHECKS = [
    "cron",
    "tick-stale",
    "tick-paused",
    "cron-failing",
    "overdue-sessions",
    "halted-senders",
    "stuck-leases",
    "oldest-due",
    "heartbeats",
]
DEADLINE_SECONDS = 150


def healthcheck(url: str, *args: str):
    """The suite switches pg_cron off for the CLI by default; these tests point it at pg_cron's database."""
    return run_cli("--database-url", url, "--cron-database", CRON_DBNAME, "healthcheck", *args)


@pytest.fixture
def app_url(db_url: str, cron_db_url: str) -> str:
    """The test's own database, with pg_cron's database (and its jobs) present on the same server."""
    return db_url


def make_alive(url: str) -> None:
    """A worker beating and a tick just now: what a running system shows."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT scheduling.worker_heartbeat('w1', 'console')")
        conn.execute("SELECT scheduling.tick()")


def named_lines(stdout: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in stdout.splitlines()[1:])


def test_a_healthy_system_passes_and_json_lists_every_check(app_url):
    make_alive(app_url)
    text = healthcheck(app_url)
    assert text.returncode == 0, text.stdout + text.stderr
    assert text.stdout == "healthy: 9 checks ok\n"
    as_json = healthcheck(app_url, "--json")
    assert as_json.returncode == 0, as_json.stderr
    report = json.loads(as_json.stdout)
    assert report["status"] == "healthy"
    assert [check["check"] for check in report["checks"]] == CHECKS
    assert {check["status"] for check in report["checks"]} == {"ok"}
    cron = report["checks"][0]
    assert cron["detail"] == f"pg_cron in database {CRON_DBNAME}: 0 job(s)", "pg_cron lives in another database"


def test_without_a_tick_or_a_worker_it_is_unhealthy_and_names_both(app_url):
    result = healthcheck(app_url)
    assert result.returncode == 1, result.stdout
    assert result.stdout.startswith("unhealthy: 2 failing (tick-stale, heartbeats)")
    lines = named_lines(result.stdout)
    assert lines["tick-stale"] == f"no tick has run yet (no sessionkeeper-tick job in database {CRON_DBNAME})"
    assert lines["heartbeats"] == "no worker has sent a heartbeat in the last 2 minutes"


def test_pg_cron_it_cannot_read_is_a_warning_not_a_crash(app_url):
    make_alive(app_url)
    result = run_cli("--database-url", app_url, "--cron-database", "nowhere", "healthcheck")
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stdout.startswith("warning: 3 warning(s) (cron, tick-paused, cron-failing)")
    assert named_lines(result.stdout)["cron"] == (
        "could not check pg_cron: pg_cron's database nowhere does not exist on this server"
    )
    report = json.loads(
        run_cli("--database-url", app_url, "--cron-database", "nowhere", "healthcheck", "--json").stdout
    )
    assert report["status"] == "warning"


def test_a_halted_sender_fails_with_its_line(app_url):
    make_alive(app_url)
    with psycopg.connect(app_url, autocommit=True) as conn:
        conn.execute("SELECT scheduling.halt_sending('cloud_api:1', '190', 'Session has expired', 'w1')")
    result = healthcheck(app_url)
    assert result.returncode == 1
    assert result.stdout.startswith("unhealthy: 1 failing (halted-senders)")
    assert named_lines(result.stdout)["halted-senders"].startswith("sending number cloud_api:1 is halted since")
    report = json.loads(healthcheck(app_url, "--json").stdout)
    halted = next(check for check in report["checks"] if check["check"] == "halted-senders")
    assert halted["status"] == "fail" and halted["halts"][0]["sending_number"] == "cloud_api:1"


def test_thresholds_and_at_are_options(app_url):
    make_alive(app_url)
    later = (datetime.now(UTC) + timedelta(minutes=10)).strftime("%Y-%m-%d %H:%M")
    stale = healthcheck(app_url, "--at", later, "--max-heartbeat-age", "3600")
    assert stale.returncode == 1 and stale.stdout.startswith("unhealthy: 1 failing (tick-stale)"), stale.stdout
    assert healthcheck(app_url, "--at", later, "--max-heartbeat-age", "3600", "--max-tick-age", "3600").returncode == 0


def test_an_unreachable_database_exits_2_also_with_json():
    result = run_cli("--database-url", "postgresql://x@127.0.0.1:1/none", "healthcheck", "--json")
    assert result.returncode == 2
    assert json.loads(result.stdout)["status"] == "unreachable"
    assert result.stderr.startswith("unhealthy: database unreachable:")


def test_a_paused_tick_job_an_overdue_session_and_a_failing_pg_cron_run(cron_db_url):
    now = datetime.now(UTC)
    with psycopg.connect(cron_db_url, autocommit=True) as conn:
        tick_job = conn.execute("SELECT jobid FROM cron.job WHERE jobname = 'sessionkeeper-tick'").fetchone()[0]
        conn.execute("SELECT cron.alter_job(%s, active => false)", (tick_job,))
        conn.execute("SELECT scheduling.tick()")  # the last tick before the pause (pg_cron's may not have run yet)
        broken = conn.execute("SELECT cron.schedule('sessionkeeper-broken', '* * * * *', 'SELECT 1/0')").fetchone()[0]
        try:
            host = conn.execute("SELECT scheduling.create_person('Paused Host', NULL, 'UTC')").fetchone()[0]
            conn.execute(
                "SELECT scheduling.create_session(%s, 'never started', %s, %s)",
                (host, now + timedelta(minutes=2), now + timedelta(hours=4)),
            )
            conn.execute("SELECT scheduling.worker_heartbeat('w-paused', 'console')")
            deadline = time.monotonic() + DEADLINE_SECONDS
            while time.monotonic() < deadline:
                runs = conn.execute("SELECT status FROM cron.job_run_details WHERE jobid = %s", (broken,)).fetchall()
                if ("failed",) in runs:
                    break
                time.sleep(1)
            assert ("failed",) in runs, runs
            # No further run: its latest stays the failed one.
            conn.execute("SELECT cron.alter_job(%s, active => false)", (broken,))
            # To the second: the detail rounds the tick's age to the minute, so "%H:%M" alone could say 1 h 59 min.
            later = (now + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M:%S")
            result = healthcheck(cron_db_url, "--at", later, "--max-heartbeat-age", "86400")
            report = json.loads(
                healthcheck(cron_db_url, "--at", later, "--max-heartbeat-age", "86400", "--json").stdout
            )
        finally:
            conn.execute("SELECT cron.unschedule(%s)", (broken,))
            conn.execute("SELECT cron.alter_job(%s, active => true)", (tick_job,))
    assert result.returncode == 1, result.stdout + result.stderr
    lines = named_lines(result.stdout)
    assert lines["tick-stale"].startswith("last tick 2 hours"), lines
    assert lines["tick-stale"].endswith("(pg_cron job sessionkeeper-tick is paused)")
    assert lines["tick-paused"] == (
        f"pg_cron job sessionkeeper-tick is paused; resume it in database {CRON_DBNAME}: "
        f"SELECT cron.alter_job({tick_job}, active => true)"
    )
    # pg_cron's database is shared with the other pg_cron tests, whose sessions may be overdue too: at least ours.
    overdue = re.match(r"(\d+) session\(s\) not moved more than 15 minutes after their time", lines["overdue-sessions"])
    assert overdue and int(overdue[1]) >= 1, lines["overdue-sessions"]
    assert lines["cron-failing"].startswith("latest run failed: sessionkeeper-broken failed at ")
    assert "division by zero" in lines["cron-failing"]
    assert report["status"] == "unhealthy"
    # At least these four: pg_cron's database is shared, and other tests' rows may add an oldest-due finding.
    assert {c["check"] for c in report["checks"] if c["status"] == "fail"} >= {
        "tick-stale",
        "tick-paused",
        "cron-failing",
        "overdue-sessions",
    }
