"""`sessionkeeper doctor` against real servers: a ready one, an empty one, one without pg_cron scheduling, one
whose pg_cron jobs drifted from their declarations, and logins that may see only part of it.

The pg_cron database (cron_db_url) is shared by the whole session: whatever a test changes there is put back in a
``finally``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.conninfo import conninfo_to_dict

from runner.scratch import free_loopback_port
from tests.helpers import run_cli
from tests.login_roles import login_in

ARCHIVE = "sessionkeeper-archive"
ALL_ITEMS = {"postgresql", "login", "btree_gist", "pg_cron", "schedules", "roles", "time zones", "migrations", "clock"}


def doctor(url: str, *args: str, cron_database: str | None = None):
    env = {"SESSIONKEEPER_DATABASE_URL": url}
    if cron_database is not None:
        env["SESSIONKEEPER_CRON_DATABASE"] = cron_database
    return run_cli("doctor", *args, env=env)


def doctor_json(url: str, *, cron_database: str | None = None) -> tuple[int, dict, dict[str, dict]]:
    result = doctor(url, "--json", cron_database=cron_database)
    assert "Traceback" not in result.stderr, result.stderr
    report = json.loads(result.stdout)
    return result.returncode, report, {check["check"]: check for check in report["checks"]}


def item_lines(stdout: str) -> list[str]:
    """The report's item lines (the last line sums them up)."""
    lines = stdout.splitlines()
    return lines[:-1]


@contextmanager
def archive_job(cron_db_url: str) -> Iterator[tuple[psycopg.Connection, int]]:
    """A superuser connection to the pg_cron database and the archive job's id."""
    with psycopg.connect(cron_db_url, autocommit=True) as conn:
        row = conn.execute("SELECT jobid FROM cron.job WHERE jobname = %s", (ARCHIVE,)).fetchone()
        assert row, "the archive job should be scheduled in the pg_cron database"
        yield conn, row[0]


# ---- a ready server ----------------------------------------------------------------------------------------------
def test_a_ready_server_is_reported_ready(cron_db_url):
    result = doctor(cron_db_url, cron_database="")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = item_lines(result.stdout)
    assert lines and all(line.startswith(("ok ", "warn ")) for line in lines), result.stdout
    assert result.stdout.splitlines()[-1].startswith("ready")
    assert any(line.split()[:2] == ["ok", "pg_cron"] for line in lines), result.stdout

    code, report, items = doctor_json(cron_db_url, cron_database="")
    assert code == 0
    assert report["ready"] is True
    assert set(items) >= ALL_ITEMS, sorted(items)
    assert items["pg_cron"]["status"] == "ok"
    assert "in this database" in items["pg_cron"]["detail"]
    assert items["schedules"]["status"] == "ok", items["schedules"]
    assert items["migrations"]["status"] in ("ok", "warn"), items["migrations"]
    assert items["postgresql"]["detail"].startswith("PostgreSQL 15"), items["postgresql"]
    assert items["btree_gist"]["detail"].startswith("btree_gist 1."), items["btree_gist"]
    assert "in schema sessionkeeper_extensions" in items["btree_gist"]["detail"], items["btree_gist"]
    assert all(check["status"] in ("ok", "warn") for check in report["checks"]), report


def test_a_paused_job_is_a_warning_with_the_sql_that_resumes_it(cron_db_url):
    with archive_job(cron_db_url) as (conn, jobid):
        conn.execute("SELECT cron.alter_job(%s, active => false)", (jobid,))
        try:
            code, report, items = doctor_json(cron_db_url, cron_database="")
        finally:
            conn.execute("SELECT cron.alter_job(%s, active => true)", (jobid,))
    assert code == 0 and report["ready"] is True
    schedules = items["schedules"]
    assert schedules["status"] == "warn", schedules
    assert f"paused: {ARCHIVE}" in schedules["detail"]
    assert f"SELECT cron.alter_job({jobid}, active => true);" in schedules["fix"]


def test_a_failed_last_run_is_quoted(cron_db_url):
    with archive_job(cron_db_url) as (conn, jobid):
        runid = conn.execute(
            "INSERT INTO cron.job_run_details (jobid, job_pid, database, username, command, status, return_message, "
            "start_time, end_time) SELECT jobid, 0, database, username, command, 'failed', "
            "E'ERROR:  doctor test failure\\nCONTEXT:  second line', clock_timestamp(), clock_timestamp() "
            "FROM cron.job WHERE jobid = %s RETURNING runid",
            (jobid,),
        ).fetchone()[0]
        try:
            code, _, items = doctor_json(cron_db_url, cron_database="")
        finally:
            conn.execute("DELETE FROM cron.job_run_details WHERE runid = %s", (runid,))
    schedules = items["schedules"]
    assert code == 0
    assert schedules["status"] == "warn", schedules
    assert f"last run of {ARCHIVE} failed: ERROR: doctor test failure" in schedules["detail"]
    assert "second line" not in schedules["detail"]


# ---- broken or incomplete servers --------------------------------------------------------------------------------
def test_an_empty_database_is_not_ready_and_says_migrate(empty_db_url):
    result = doctor(empty_db_url)
    assert result.returncode == 1, result.stdout + result.stderr
    migrations = [line for line in result.stdout.splitlines() if line.split()[1:2] == ["migrations"]]
    assert len(migrations) == 1, result.stdout
    assert migrations[0].startswith("FAIL ")
    assert "sessionkeeper migrate" in migrations[0]
    assert result.stdout.splitlines()[-1].startswith("not ready")

    code, report, items = doctor_json(empty_db_url)
    assert code == 1 and report["ready"] is False
    assert items["migrations"]["status"] == "fail" and items["migrations"]["fix"] == "sessionkeeper migrate"
    assert items["schedules"]["status"] == "fail" and "not migrated" in items["schedules"]["detail"]
    assert items["postgresql"]["status"] == "ok"  # the other items still ran


def test_scheduling_switched_off_is_a_warning_not_a_failure(db_url):
    # The session's default: SESSIONKEEPER_CRON_DATABASE=none.
    code, report, items = doctor_json(db_url)
    pg_cron = items["pg_cron"]
    assert pg_cron["status"] == "warn"
    assert "switched off" in pg_cron["detail"] and "sessionkeeper tick --loop" in pg_cron["detail"]
    assert items["tick"]["status"] == "warn", items["tick"]  # a fresh database: nothing has ticked
    assert "cron workers" not in items
    assert [check["check"] for check in report["checks"] if check["status"] == "fail"] == []
    assert code == 0 and report["ready"] is True

    result = doctor(db_url)
    assert result.returncode == 0
    assert any(line.startswith("warn  pg_cron ") and "switched off" in line for line in result.stdout.splitlines())


def test_a_declared_job_that_differs_from_pg_cron_fails(cron_db_url):
    with psycopg.connect(cron_db_url, autocommit=True) as conn:
        before = conn.execute(
            "SELECT schedule FROM sessionkeeper_meta.cron_jobs WHERE jobname = %s", (ARCHIVE,)
        ).fetchone()[0]
        conn.execute("UPDATE sessionkeeper_meta.cron_jobs SET schedule = '*/2 * * * *' WHERE jobname = %s", (ARCHIVE,))
        try:
            result = doctor(cron_db_url, cron_database="")
            code, report, items = doctor_json(cron_db_url, cron_database="")
        finally:
            conn.execute("UPDATE sessionkeeper_meta.cron_jobs SET schedule = %s WHERE jobname = %s", (before, ARCHIVE))
    assert result.returncode == 1, result.stdout
    line = next(line for line in result.stdout.splitlines() if line.split()[1:2] == ["schedules"])
    assert line.startswith("FAIL ") and ARCHIVE in line and "sessionkeeper migrate" in line
    assert code == 1 and report["ready"] is False
    schedules = items["schedules"]
    assert schedules["status"] == "fail"
    assert f"{ARCHIVE} (schedule '{before}' in pg_cron, '*/2 * * * *' declared)" in schedules["detail"]
    assert schedules["fix"] == "sessionkeeper migrate"


def test_a_login_without_rights_on_schema_cron_gets_the_grant_to_run(cron_db_url):
    with login_in(cron_db_url, "sessionkeeper_owner", purpose="doctor") as url:
        login = conninfo_to_dict(url)["user"]
        code, report, items = doctor_json(url, cron_database="")
    assert code == 1 and report["ready"] is False
    pg_cron = items["pg_cron"]
    assert pg_cron["status"] == "fail", pg_cron
    assert f'GRANT USAGE ON SCHEMA cron TO "{login}";' in pg_cron["fix"]
    assert "as a superuser in database sessionkeeper_cron" in pg_cron["fix"]
    assert "not a superuser" in items["login"]["detail"]
    # Through sessionkeeper_owner it still reads the ledger.
    assert items["migrations"]["status"] in ("ok", "warn"), items["migrations"]


def test_a_query_this_login_may_not_run_fails_its_item_only(cron_db_url):
    with login_in(cron_db_url, "sessionkeeper_app", purpose="doctor_app") as url:
        code, report, items = doctor_json(url, cron_database="")
    assert code == 1 and report["ready"] is False
    migrations = items["migrations"]
    assert migrations["status"] == "fail"
    assert migrations["detail"].startswith("could not check: permission denied")
    assert "superuser" in migrations["fix"]
    assert set(items) >= ALL_ITEMS, sorted(items)
    assert items["clock"]["status"] == "ok" and items["roles"]["status"] == "ok"
    assert items["time zones"]["status"] == "ok", items["time zones"]


def test_an_unreachable_server_is_one_failing_item():
    url = f"postgresql://nobody:secret@127.0.0.1:{free_loopback_port()}/nothing"
    result = doctor(url, "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ready"] is False
    [check] = report["checks"]
    assert check["check"] == "connection" and check["status"] == "fail"
    assert "secret" not in check["detail"] and "cannot connect" in check["detail"]
