"""The operator's view: `sessionkeeper db ...`, `migrate`, `run`, errors as one readable line."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest

from runner.scratch import free_loopback_port
from tests.helpers import SESSIONKEEPER, copy_project, run_cli

SUBCOMMANDS = [
    [],
    ["db"],
    ["db", "up"],
    ["db", "down"],
    ["db", "status"],
    ["db", "url"],
    ["migrate"],
    ["migrate", "status"],
    ["run"],
    ["tick"],
    ["watch"],
    ["cron"],
    ["cron", "list"],
    ["worker"],
    ["generate"],
]


@pytest.mark.parametrize("words", SUBCOMMANDS, ids=lambda words: " ".join(words) or "top")
def test_every_command_explains_itself(words):
    result = run_cli(*words, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage: sessionkeeper" in result.stdout
    # The one-line summary of the command itself is there, not only the usage line.
    assert len(result.stdout.strip().splitlines()) > 3


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def test_bad_database_url_is_one_line(tmp_path):
    result = run_cli("migrate", env={"SESSIONKEEPER_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    assert_one_line_error(result, "cannot connect to postgresql://nobody@127.0.0.1:1/none")
    result = run_cli("--database-url", "this is not a url", "migrate")
    assert_one_line_error(result, "bad database URL")


def test_password_never_printed_in_errors():
    result = run_cli("migrate", env={"DATABASE_URL": "postgresql://who:s3cret@127.0.0.1:1/none"})
    assert_one_line_error(result, "postgresql://who:***@127.0.0.1:1/none")
    assert "s3cret" not in result.stderr


def test_migrate_through_cli_reports_file_and_line_of_a_broken_migration(empty_db_url, tmp_path):
    project = copy_project(tmp_path)
    (project / "migrations" / "9001_broken.sql").write_text("SELECT 1;\n\nCREATE TABLE scheduling.x (id intgr);\n")
    env = {"SESSIONKEEPER_DATABASE_URL": empty_db_url, "SESSIONKEEPER_PROJECT_DIR": str(project)}
    result = run_cli("migrate", env=env)
    assert_one_line_error(result, "migrations/9001_broken.sql line 3:", 'type "intgr" does not exist', "42704")
    with psycopg.connect(empty_db_url) as conn:
        # Everything before the broken file landed; the broken one left nothing behind.
        assert conn.execute("SELECT max(version) FROM sessionkeeper_meta.migrations").fetchone()[0] < 9001
        assert conn.execute("SELECT to_regclass('scheduling.x')").fetchone() == (None,)


def test_migrate_with_a_url_uses_that_server_and_never_starts_one(db_url, tmp_path):
    pgdata = tmp_path / "must-not-exist"
    result = run_cli("migrate", env={"SESSIONKEEPER_DATABASE_URL": db_url, "SESSIONKEEPER_PGDATA": str(pgdata)})
    assert result.returncode == 0, result.stderr
    assert "nothing to do" in result.stdout
    assert not pgdata.exists()
    status = run_cli("migrate", "status", env={"DATABASE_URL": db_url})
    assert status.returncode == 0, status.stderr
    assert "applied                  migrations/0001_scheduling_schema.sql" in status.stdout


def test_db_commands_refuse_when_a_url_is_set(db_url):
    result = run_cli("db", "up", env={"SESSIONKEEPER_DATABASE_URL": db_url})
    assert_one_line_error(result, "not managed by sessionkeeper")


@pytest.fixture
def embedded_env():
    """Settings for a separate embedded cluster in a folder the postgres account can reach."""
    folder = Path(tempfile.mkdtemp(prefix="sk-embedded-"))
    os.chmod(folder, 0o755)
    env = {
        "SESSIONKEEPER_PGDATA": str(folder / "pgdata"),
        "SESSIONKEEPER_PGPORT": str(free_loopback_port()),
        "SESSIONKEEPER_CRON_DATABASE": "",  # find pg_cron, as a user's shell would (the suite switches it off)
    }
    yield env
    run_cli("db", "down", env=env)
    shutil.rmtree(folder, ignore_errors=True)


def test_embedded_database_lifecycle(embedded_env):
    pgdata = Path(embedded_env["SESSIONKEEPER_PGDATA"])
    assert run_cli("db", "status", env=embedded_env).returncode == 3

    first = run_cli("db", "up", env=embedded_env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("started:")
    again = run_cli("db", "up", env=embedded_env)
    assert again.returncode == 0 and again.stdout.startswith("already running:")
    assert run_cli("db", "status", env=embedded_env).returncode == 0
    assert (pgdata / f".s.PGSQL.{embedded_env['SESSIONKEEPER_PGPORT']}").exists(), "socket inside the data folder"

    url = run_cli("db", "url", env=embedded_env).stdout.strip()
    assert f"@127.0.0.1:{embedded_env['SESSIONKEEPER_PGPORT']}/sessionkeeper" in url
    with psycopg.connect(url) as conn:
        settings = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN "
                "('shared_preload_libraries', 'cron.database_name', 'listen_addresses')"
            ).fetchall()
        )
    assert settings == {
        "shared_preload_libraries": "pg_cron",
        "cron.database_name": "sessionkeeper",
        "listen_addresses": "127.0.0.1",
    }
    if os.geteuid() == 0:
        assert pgdata.stat().st_uid != 0, "as root, the cluster belongs to an unprivileged account"

    # migrate against the embedded database, including the pg_cron schedules.
    migrated = run_cli("migrate", env=embedded_env)
    assert migrated.returncode == 0, migrated.stderr
    assert "pg_cron in this database: scheduled sessionkeeper-activate-sessions" in migrated.stdout
    assert "warning" not in migrated.stdout + migrated.stderr
    jobs = run_cli("cron", "list", env=embedded_env)
    assert jobs.returncode == 0, jobs.stderr
    listed = [line.split()[0] for line in jobs.stdout.splitlines()[1:]]
    assert "sessionkeeper-tick" in listed and len(listed) == 7, jobs.stdout

    down = run_cli("db", "down", env=embedded_env)
    assert down.stdout.strip() == "stopped"
    assert run_cli("db", "down", env=embedded_env).stdout.strip() == "not running"
    assert run_cli("db", "status", env=embedded_env).returncode == 3


def test_stale_pid_file_after_a_crash_is_handled(embedded_env):
    assert run_cli("db", "up", env=embedded_env).returncode == 0
    assert run_cli("db", "down", env=embedded_env).returncode == 0
    pid_file = Path(embedded_env["SESSIONKEEPER_PGDATA"]) / "postmaster.pid"
    # A crash leaves the pid file behind; here it names a live process that is not PostgreSQL.
    pid_file.write_text(f"{os.getpid()}\n{embedded_env['SESSIONKEEPER_PGDATA']}\n")
    up = run_cli("db", "up", env=embedded_env)
    assert up.returncode == 0, up.stderr
    assert up.stdout.startswith("started:")


def test_run_keeps_going_until_sigterm_and_exits_zero(db_url):
    env = {**os.environ, "SESSIONKEEPER_DATABASE_URL": db_url, "SESSIONKEEPER_TICK_INTERVAL": "1"}
    process = subprocess.Popen(
        [*SESSIONKEEPER, "run"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        seen = []
        for line in process.stdout:
            seen.append(line)
            if "running:" in line:
                break
        assert any("ticking every 1 s (no pg_cron)" in line for line in seen), seen
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert out.strip().endswith("stopped")
    assert "Traceback" not in err
