"""pg_cron where real servers keep it: in database `postgres`, not in the application's.

A cluster of its own whose cron.database_name is `postgres`. migrate, run by a superuser and by a login that is not
one (after the one-time grants the README lists), schedules each application database's jobs from there with
cron.schedule_in_database; the jobs really run (the test polls cron.job_run_details, the one wait on the clock the
suite allows: pg_cron schedules by the minute). Then the refusals: a login without the pg_cron grants is told the
exact SQL and still gets everything else; a login that may not install at all is refused before anything changes;
a server without pg_cron preloaded gets one line saying what to do instead.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import psycopg
import pytest
from psycopg import sql

from runner.cluster import Cluster
from runner.migrate import read_migrations
from runner.scratch import remove_scratch_cluster, start_scratch_cluster
from tests.helpers import PROJECT, copy_project, run_cli

DEADLINE_SECONDS = 150
AUTO = {"SESSIONKEEPER_CRON_DATABASE": ""}  # find pg_cron as a user's shell would (the suite switches it off)


@pytest.fixture(scope="module")
def server() -> Iterator[Cluster]:
    cluster = start_scratch_cluster("postgres")
    try:
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as admin:
            admin.execute("CREATE EXTENSION pg_cron")
        yield cluster
    finally:
        remove_scratch_cluster(cluster)


def superuser(server: Cluster, dbname: str = "postgres") -> psycopg.Connection:
    return psycopg.connect(server.url(dbname), autocommit=True)


def login_url(server: Cluster, login: str, password: str, dbname: str) -> str:
    return f"postgresql://{login}:{quote(password, safe='')}@127.0.0.1:{server.port}/{dbname}"


def new_login(server: Cluster, *options: str, database_owner: bool = True) -> tuple[str, str, str]:
    """A login and a database for it; (login, password, dbname)."""
    login = f"sk_migrator_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(16)
    with superuser(server) as admin:
        admin.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} " + " ".join(options)).format(
                sql.Identifier(login), sql.Literal(password)
            )
        )
        dbname = f"app_{login}"
        owner = sql.SQL(" OWNER {}").format(sql.Identifier(login)) if database_owner else sql.SQL("")
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)) + owner)
    return login, password, dbname


def migrate(url: str, *args: str, **env: str):
    return run_cli("migrate", *args, env={"SESSIONKEEPER_DATABASE_URL": url, **AUTO, **env}, timeout=300)


def pg_cron_jobs(server: Cluster, dbname: str) -> list[tuple]:
    with superuser(server) as admin:
        return admin.execute(
            "SELECT jobname, username, schedule, command FROM cron.job WHERE database = %s ORDER BY jobname",
            (dbname,),
        ).fetchall()


def ledger_versions(url: str) -> list[int]:
    with psycopg.connect(url) as conn:
        return [v for (v,) in conn.execute("SELECT version FROM sessionkeeper_meta.migrations ORDER BY 1")]


def add_due_session(url: str) -> int:
    now = datetime.now(UTC)
    with psycopg.connect(url, autocommit=True) as conn:
        host = conn.execute("SELECT scheduling.create_person('Host', '+4915112345670', 'Europe/Berlin')").fetchone()[0]
        return conn.execute(
            "SELECT scheduling.create_session(%s, 'moved by pg_cron', %s, %s)",
            (host, now - timedelta(minutes=1), now + timedelta(hours=1)),
        ).fetchone()[0]


def test_jobs_run_in_each_application_database_for_a_superuser_and_for_a_migrating_login(server, tmp_path):
    # A superuser migrates one database.
    with superuser(server) as admin:
        admin.execute("CREATE DATABASE app_by_superuser")
    superuser_url = server.url("app_by_superuser")
    first = migrate(superuser_url)
    assert first.returncode == 0, first.stderr
    assert "pg_cron in database postgres: scheduled" in first.stdout
    assert "warning" not in first.stdout + first.stderr

    # The one-time steps for a migrating login that is not a superuser, then migrate as that login.
    login, password, dbname = new_login(server, "CREATEROLE")
    with superuser(server) as admin:
        admin.execute(sql.SQL("GRANT USAGE ON SCHEMA cron TO {}").format(sql.Identifier(login)))
        admin.execute(
            sql.SQL(
                "GRANT EXECUTE ON FUNCTION cron.schedule_in_database(text,text,text,text,text,boolean) TO {}"
            ).format(sql.Identifier(login))
        )
    login_db_url = login_url(server, login, password, dbname)
    installed = migrate(login_db_url)
    assert installed.returncode == 0, installed.stderr
    assert "warning" not in installed.stdout + installed.stderr, installed.stdout
    assert ledger_versions(login_db_url) == [m.version for m in read_migrations(PROJECT)]

    declared = sorted(p.stem for p in (PROJECT / "sql" / "cron").glob("*.sql"))
    for database, owner in (("app_by_superuser", "postgres"), (dbname, login)):
        jobs = pg_cron_jobs(server, database)
        assert len(jobs) == len(declared)
        assert all(name.endswith(f"@{database}") and user == owner for name, user, *_ in jobs), jobs
        assert (
            f"sessionkeeper-tick@{database}",
            owner,
            "* * * * *",
            "SET ROLE sessionkeeper_cron; SELECT scheduling.tick()",
        ) in jobs

    # Nothing to do the second time; `cron list` reads the jobs from pg_cron's database.
    again = migrate(login_db_url)
    assert again.returncode == 0 and "nothing to do" in again.stdout, again.stdout
    listed = run_cli("cron", "list", env={"SESSIONKEEPER_DATABASE_URL": login_db_url, **AUTO})
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[0].startswith("pg_cron 1.") and "in database postgres" in listed.stdout
    assert f"sessionkeeper-tick@{dbname}" in listed.stdout and f"as {login}" in listed.stdout

    # The real jobs move a due session in each database, each as its own login.
    sessions = {superuser_url: add_due_session(superuser_url), login_db_url: add_due_session(login_db_url)}
    deadline = time.monotonic() + DEADLINE_SECONDS
    moved: dict[str, list] = {}
    while time.monotonic() < deadline and len(moved) < len(sessions):
        for url, session_id in sessions.items():
            with psycopg.connect(url) as conn:
                rows = conn.execute(
                    "SELECT actor FROM scheduling.session_status_history WHERE session_id = %s "
                    "AND to_status = 'in_progress'",
                    (session_id,),
                ).fetchall()
            if rows:
                moved[url] = rows
        time.sleep(1)
    assert moved.get(superuser_url) == [("postgres",)]
    assert moved.get(login_db_url) == [(login,)]
    with superuser(server) as admin:
        runs = admin.execute(
            "SELECT j.jobname, d.status FROM cron.job_run_details AS d JOIN cron.job AS j USING (jobid) "
            "WHERE j.jobname LIKE 'sessionkeeper-tick@%' AND d.status IN ('succeeded', 'failed')"
        ).fetchall()
    assert {name for name, _ in runs} == {"sessionkeeper-tick@app_by_superuser", f"sessionkeeper-tick@{dbname}"}
    assert all(status == "succeeded" for _, status in runs), runs

    # An upgrade that changes a schedule updates the login's job in place, without a superuser.
    project = copy_project(tmp_path / "project")
    tick = project / "sql" / "cron" / "tick.sql"
    tick.write_text(tick.read_text().replace("'* * * * *'", "'*/2 * * * *'"))
    before = {name: user for name, user, *_ in pg_cron_jobs(server, dbname)}
    upgraded = migrate(login_db_url, SESSIONKEEPER_PROJECT_DIR=str(project))
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"scheduled sessionkeeper-tick@{dbname}" in upgraded.stdout
    after = pg_cron_jobs(server, dbname)
    assert {name: user for name, user, *_ in after} == before
    assert (f"sessionkeeper-tick@{dbname}", login, "*/2 * * * *") in [row[:3] for row in after]


FIX_BLOCK = re.compile(r"as a superuser, in database (?P<database>\S+):\n(?P<statements>(?: {6}.*\n)+)")


def test_a_login_without_the_pg_cron_grants_gets_the_exact_sql_and_everything_else(server):
    login, password, dbname = new_login(server, "CREATEROLE")
    url = login_url(server, login, password, dbname)
    result = migrate(url)
    assert result.returncode == 0, result.stderr
    assert f"warning: pg_cron schedules not complete: login {login} may not schedule pg_cron jobs" in result.stdout
    assert ledger_versions(url) == [m.version for m in read_migrations(PROJECT)]
    assert pg_cron_jobs(server, dbname) == []

    # A superuser runs exactly what was printed; the next migrate schedules everything.
    blocks = FIX_BLOCK.findall(result.stdout)
    assert blocks, result.stdout
    for database, statements in blocks:
        with superuser(server, database) as admin:
            for statement in statements.strip().splitlines():
                admin.execute(statement.strip())
    completed = migrate(url)
    assert completed.returncode == 0, completed.stderr
    assert "warning" not in completed.stdout, completed.stdout
    assert len(pg_cron_jobs(server, dbname)) == len(list((PROJECT / "sql" / "cron").glob("*.sql")))


def schemas(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [
            n
            for (n,) in conn.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname IN ('scheduling', 'sessionkeeper_meta') ORDER BY 1"
            )
        ]


def test_a_login_that_may_not_install_is_refused_before_anything_changes(server):
    # No CREATE on the database, no CREATEROLE: one line with the SQL, exit 1, nothing created.
    login, password, dbname = new_login(server, database_owner=False)
    url = login_url(server, login, password, dbname)
    refused = migrate(url)
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1, refused.stderr
    assert f"login {login} may not install sessionkeeper in database {dbname}" in lines[0]
    assert f'GRANT CREATE ON DATABASE "{dbname}" TO "{login}";' in lines[0]
    assert schemas(url) == []

    # With CREATE but neither CREATEROLE nor the owner role (which another database already made).
    with superuser(server) as admin:
        admin.execute(
            sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(sql.Identifier(dbname), sql.Identifier(login))
        )
        roles_exist = admin.execute("SELECT to_regrole('sessionkeeper_owner') IS NOT NULL").fetchone()[0]
    refused = migrate(url)
    assert refused.returncode == 1
    expected = f'GRANT sessionkeeper_owner TO "{login}";' if roles_exist else f'ALTER ROLE "{login}" CREATEROLE;'
    assert expected in refused.stderr, refused.stderr
    assert schemas(url) == []


def test_a_server_without_pg_cron_preloaded_installs_and_says_what_ticks_instead():
    cluster = start_scratch_cluster("postgres")
    try:
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as admin:
            # Any library but pg_cron (an empty list would be written as a file name "").
            admin.execute("ALTER SYSTEM SET shared_preload_libraries = 'plpgsql'")
            admin.execute("CREATE DATABASE plain")
        cluster.stop()
        cluster.start()
        url = cluster.url("plain")
        result = migrate(url)
        assert result.returncode == 0, result.stderr
        warnings = [line for line in result.stdout.splitlines() if line.startswith("warning")]
        assert warnings == [
            "warning: no pg_cron schedules: pg_cron is not in shared_preload_libraries: add it in postgresql.conf "
            "(shared_preload_libraries = 'pg_cron') and restart PostgreSQL; tick with `sessionkeeper tick --loop` "
            "or the systemd tick timer instead"
        ]
        assert ledger_versions(url) == [m.version for m in read_migrations(PROJECT)]
        listed = run_cli("cron", "list", env={"SESSIONKEEPER_DATABASE_URL": url, **AUTO})
        assert listed.returncode == 1 and "not in shared_preload_libraries" in listed.stderr
    finally:
        remove_scratch_cluster(cluster)


def test_scheduling_switched_off_leaves_pg_cron_alone(server):
    with superuser(server) as admin:
        admin.execute("CREATE DATABASE app_unscheduled")
    result = migrate(server.url("app_unscheduled"), SESSIONKEEPER_CRON_DATABASE="none")
    assert result.returncode == 0, result.stderr
    assert "pg_cron left alone (SESSIONKEEPER_CRON_DATABASE=none)" in result.stdout
    assert pg_cron_jobs(server, "app_unscheduled") == []


def test_a_missing_cron_database_is_one_line(server):
    with superuser(server) as admin:
        admin.execute("CREATE DATABASE app_wrong_cron")
    result = migrate(server.url("app_wrong_cron"), SESSIONKEEPER_CRON_DATABASE="no_such_db")
    assert result.returncode == 0, result.stderr
    assert "warning: no pg_cron schedules: pg_cron's database no_such_db does not exist on this server" in result.stdout


def test_the_cron_history_job_deletes_old_runs_of_the_logins_jobs_in_pg_crons_database(server):
    """pg_cron keeps its run history in its own database; a login that is not a superuser may delete only the run
    rows of its own jobs there. The cron-history job runs there as that login and deletes the old ones."""
    login, password, dbname = new_login(server, "CREATEROLE")
    with superuser(server) as admin:
        admin.execute(sql.SQL("GRANT USAGE ON SCHEMA cron TO {}").format(sql.Identifier(login)))
        admin.execute(
            sql.SQL(
                "GRANT EXECUTE ON FUNCTION cron.schedule_in_database(text,text,text,text,text,boolean) TO {}"
            ).format(sql.Identifier(login))
        )
    installed = migrate(login_url(server, login, password, dbname))
    assert installed.returncode == 0 and "warning" not in installed.stdout, installed.stdout + installed.stderr
    now = datetime.now(UTC)
    with superuser(server) as admin:
        ids = dict(admin.execute("SELECT jobname, jobid FROM cron.job WHERE username = %s", (login,)))
        history = ids[f"sessionkeeper-cron-history@{dbname}"]
        assert admin.execute("SELECT database FROM cron.job WHERE jobid = %s", (history,)).fetchone() == ("postgres",)
        foreign = admin.execute("SELECT cron.schedule('someone-else', '0 0 1 1 *', 'SELECT 1')").fetchone()[0]
        runs = {}
        for tag, jobid, age in (
            ("old", ids[f"sessionkeeper-tick@{dbname}"], 8),
            ("young", ids[f"sessionkeeper-tick@{dbname}"], 6),
            ("foreign", foreign, 30),
        ):
            runs[tag] = admin.execute(
                "INSERT INTO cron.job_run_details (jobid, job_pid, database, username, command, status, start_time, "
                "end_time) SELECT jobid, 0, database, username, command, 'succeeded', %(at)s, %(at)s FROM cron.job "
                "WHERE jobid = %(jobid)s RETURNING runid",
                {"jobid": jobid, "at": now - timedelta(days=age)},
            ).fetchone()[0]
        admin.execute("SELECT cron.alter_job(%s, schedule => '* * * * *')", (history,))
        started_waiting = admin.execute("SELECT now()").fetchone()[0]
        deadline = time.monotonic() + DEADLINE_SECONDS
        done: list[tuple] = []
        while time.monotonic() < deadline and not done:
            done = admin.execute(
                "SELECT status, return_message FROM cron.job_run_details WHERE jobid = %s AND start_time >= %s "
                "AND status IN ('succeeded', 'failed')",
                (history, started_waiting),
            ).fetchall()
            time.sleep(1)
        left = {
            r
            for (r,) in admin.execute(
                "SELECT runid FROM cron.job_run_details WHERE runid = ANY(%s)", (list(runs.values()),)
            )
        }
        admin.execute("SELECT cron.unschedule(%s::bigint)", (foreign,))
    assert done and all(status == "succeeded" for status, _ in done), done
    assert left == {runs["young"], runs["foreign"]}
