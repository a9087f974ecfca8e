"""`--json` on the commands that print data: one JSON document on stdout, the text output's exit codes."""

from __future__ import annotations

import json

import psycopg

from tests.conftest import CRON_DBNAME
from tests.helpers import run_cli


def as_json(*args: str, code: int = 0) -> dict:
    result = run_cli(*args, "--json")
    assert result.returncode == code, result.stdout + result.stderr
    assert len(result.stdout.splitlines()) == 1, result.stdout
    return json.loads(result.stdout)


def test_migrate_status(db_url):
    status = as_json("--database-url", db_url, "migrate", "status")
    assert status["edited"] == 0
    states = {entry["file"]: entry["state"] for entry in status["files"]}
    assert states["migrations/0001_scheduling_schema.sql"] == "applied"
    assert states["sql/functions/health_report.sql"] == "up to date"
    applied = next(entry for entry in status["files"] if entry["state"] == "applied")
    assert applied["applied_at"].startswith("20")


def test_cron_list(cron_db_url):
    listed = as_json("--database-url", cron_db_url, "--cron-database", CRON_DBNAME, "cron", "list")
    assert listed["database"] == CRON_DBNAME and listed["version"]
    tick = next(job for job in listed["jobs"] if job["jobname"] == "sessionkeeper-tick")
    assert tick["schedule"] == "* * * * *" and tick["active"] is True
    assert set(tick) == {
        "jobname",
        "jobid",
        "schedule",
        "active",
        "username",
        "last_status",
        "last_start",
        "last_message",
    }


def test_generate_and_retry_failed(db_url):
    assert as_json("--database-url", db_url, "generate") == {"templates": 0, "created": 0, "failed": []}
    assert as_json("--database-url", db_url, "retry-failed") == {"requeued": 0}


def test_resume_sending(db_url):
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("SELECT scheduling.halt_sending('cloud_api:9', '190', 'Session has expired', 'w1')")
    resumed = as_json("--database-url", db_url, "resume-sending", "cloud_api:9")
    assert resumed["sending_number"] == "cloud_api:9" and resumed["error_code"] == "190" and resumed["resumed"]
    assert resumed["halted_at"].startswith("20")


def test_db_status_of_a_stopped_database_keeps_exit_3(tmp_path):
    status = as_json("--pgdata", str(tmp_path), "db", "status", code=3)
    assert status["running"] is False and status["pid"] is None and status["data_dir"] == str(tmp_path)
