"""Least privilege from the outside: the catalogue against the files of sql/functions, and real LOGIN
roles granted one group role each, connecting over TCP with a password as a deployment's would.

Roles are cluster-wide, so every login made here has a unique name and is dropped at the end of its test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg import errors as pgerrors

from runner.schedules import read_declared
from tests.helpers import PROJECT, copy_project, run_cli
from tests.login_roles import login_in
from tests.seed import add_due_reminders
from tests.test_worker import start_worker, states, stop_worker, wait_for

GROUP_ROLES = ("sessionkeeper_app", "sessionkeeper_worker", "sessionkeeper_cron", "sessionkeeper_webhook")
OWNER = "sessionkeeper_owner"
FIXED_SEARCH_PATH = "search_path=pg_catalog, scheduling, pg_temp"
WORKER_ID = "roles-test-worker"
FUNCTIONS = PROJECT / "sql" / "functions"
GRANT_LINE = re.compile(
    r"^GRANT EXECUTE ON FUNCTION scheduling\.(?P<name>\w+)\s*\((?P<args>[^)]*)\)\s+TO\s+(?P<roles>[\w\s,]+);",
    re.MULTILINE | re.IGNORECASE,
)


def denied(what: str):
    """pytest.raises for 42501 on exactly this object (not on something a trigger touched on the way)."""
    return pytest.raises(pgerrors.InsufficientPrivilege, match=rf"^permission denied for {what}\b")


# ---- logins ------------------------------------------------------------------------------------------------------
@pytest.fixture
def make_login(db_url: str) -> Iterator[Callable[..., str]]:
    """make_login(purpose, in_role, *options): a new LOGIN role with a password, member of ``in_role``; its URL.

    Dropped after the test (whatever it was granted goes with it)."""
    with ExitStack() as logins:

        def make(purpose: str, in_role: str, *options: str) -> str:
            return logins.enter_context(login_in(db_url, in_role, *options, purpose=purpose))

        yield make


# ---- the catalogue against the files -----------------------------------------------------------------------------
def security_definer_functions(conn: psycopg.Connection) -> list[tuple[str, str, list[str] | None, str, bool]]:
    """(name, signature, proconfig, owner, security definer) of every function of scheduling."""
    return conn.execute(
        """
        SELECT p.proname, p.oid::regprocedure::text, p.proconfig, pg_get_userbyid(p.proowner), p.prosecdef
        FROM pg_proc AS p
        WHERE p.pronamespace = 'scheduling'::regnamespace
        ORDER BY 2
        """
    ).fetchall()


def test_security_definer_functions_fix_search_path_say_why_and_belong_to_the_owner(postgresql):
    functions = security_definer_functions(postgresql)
    definers = [f for f in functions if f[4]]
    assert len(definers) >= 40, "the group roles' functions are SECURITY DEFINER"
    problems = []
    for name, signature, config, owner, _ in definers:
        if [c for c in config or [] if c.startswith("search_path=")] != [FIXED_SEARCH_PATH]:
            problems.append(f"{signature}: proconfig {config}, want exactly {FIXED_SEARCH_PATH!r}")
        if owner != OWNER:
            problems.append(f"{signature}: owned by {owner}")
        path = FUNCTIONS / f"{name}.sql"
        if not path.exists():
            problems.append(f"{signature}: no file sql/functions/{name}.sql")
            continue
        head = path.read_text().split("CREATE OR REPLACE FUNCTION", 1)[0]
        comments = [line for line in head.splitlines() if line.startswith("-- ")]
        if not any(line.startswith("-- SECURITY DEFINER: ") and len(line) > 30 for line in comments):
            problems.append(f"sql/functions/{name}.sql: no '-- SECURITY DEFINER: why' comment above the function")
    # And the comment never sits above a function that is not SECURITY DEFINER.
    definer_names = {name for name, *_ in definers}
    for path in sorted(FUNCTIONS.glob("*.sql")):
        if "\n-- SECURITY DEFINER: " in "\n" + path.read_text() and path.stem not in definer_names:
            problems.append(f"sql/functions/{path.name}: says SECURITY DEFINER, but the function is not")
    assert problems == []


def test_every_function_a_group_role_may_run_is_security_definer_and_granted_in_its_file(postgresql):
    rows = postgresql.execute(
        """
        SELECT p.proname, p.oid::regprocedure::text, p.prosecdef, r.rolname
        FROM pg_proc AS p
        CROSS JOIN pg_roles AS r
        WHERE
            p.pronamespace = 'scheduling'::regnamespace
            AND r.rolname = ANY(%s)
            AND has_function_privilege(r.oid, p.oid, 'EXECUTE')
        ORDER BY 2, 4
        """,
        (list(GROUP_ROLES),),
    ).fetchall()
    assert {role for *_, role in rows} >= {"sessionkeeper_app", "sessionkeeper_worker", "sessionkeeper_cron"}
    assert [signature for _, signature, definer, _ in rows if not definer] == []
    # The grant is in the function's own file (so a fresh migrate makes it), and the file grants nothing more.
    granted_in_db: dict[str, set[str]] = {}
    for name, _, _, role in rows:
        granted_in_db.setdefault(name, set()).add(role)
    granted_in_files: dict[str, set[str]] = {}
    for path in sorted(FUNCTIONS.glob("*.sql")):
        for match in GRANT_LINE.finditer(path.read_text()):
            assert match["name"] == path.stem, f"{path.name} grants another file's function {match['name']}"
            roles = {role.strip() for role in match["roles"].split(",")}
            granted_in_files.setdefault(match["name"], set()).update(roles)
    assert granted_in_files == granted_in_db


def test_no_function_of_scheduling_or_scheduling_internal_is_open_to_public(postgresql):
    open_to_public = postgresql.execute(
        """
        SELECT p.oid::regprocedure::text
        FROM pg_proc AS p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) AS a
        WHERE p.pronamespace IN ('scheduling'::regnamespace, 'scheduling_internal'::regnamespace) AND a.grantee = 0
        """
    ).fetchall()
    assert open_to_public == []
    public, internal = postgresql.execute(
        "SELECT count(*) FILTER (WHERE pronamespace = 'scheduling'::regnamespace), "
        "count(*) FILTER (WHERE pronamespace = 'scheduling_internal'::regnamespace) FROM pg_proc"
    ).fetchone()
    assert public >= 40 and internal >= 40, (public, internal)


def test_the_pg_cron_jobs_run_as_the_cron_role_and_succeed(db_url):
    """Each job sql/cron declares, run as pg_cron runs it (the scheduling login, a superuser here, one simple query)."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        jobs = read_declared(conn)
        assert len(jobs) == len(list((PROJECT / "sql" / "cron").glob("*.sql"))) >= 5
        for job in jobs:
            assert job.pg_cron_command.startswith("SET ROLE sessionkeeper_cron; "), job
            conn.execute(job.pg_cron_command)
            assert conn.execute("SELECT current_user").fetchone()[0] == "sessionkeeper_cron", job.jobname
            conn.execute("RESET ROLE")


# ---- real logins ---------------------------------------------------------------------------------------------------
def test_an_app_login_books_and_reads_views_but_writes_no_table(db_url, make_login):
    app_url = make_login("app", "sessionkeeper_app")
    starts = datetime.now(UTC) + timedelta(days=2)
    with psycopg.connect(app_url, autocommit=True) as app:
        login = app.execute("SELECT session_user").fetchone()[0]
        host = app.execute(
            "SELECT scheduling.create_person('Hana Host', '+4915112345678', 'Europe/Berlin')"
        ).fetchone()[0]
        ann = app.execute("SELECT scheduling.create_person('Ann', '+4915112345679', 'Europe/Berlin', TRUE)").fetchone()[
            0
        ]
        session = app.execute(
            "SELECT scheduling.create_session(%s, 'Yoga', %s, %s, p_capacity => 3)",
            (host, starts, starts + timedelta(hours=1)),
        ).fetchone()[0]
        booking = app.execute("SELECT scheduling.create_booking(%s, %s)", (session, ann)).fetchone()[0]
        upcoming = app.execute(
            "SELECT title, host_name, capacity FROM scheduling.upcoming_sessions WHERE id = %s", (session,)
        ).fetchall()
        assert upcoming == [("Yoga", "Hana Host", 3)]
        attendees = app.execute(
            "SELECT current_attendees FROM scheduling.session_availability WHERE session_id = %s", (session,)
        ).fetchone()[0]
        assert attendees == 1
        with denied("table bookings"):
            app.execute("INSERT INTO scheduling.bookings (session_id, person_id) VALUES (%s, %s)", (session, host))
        with denied("table sessions"):
            app.execute("UPDATE scheduling.sessions SET current_attendees = 0 WHERE id = %s", (session,))
        with denied("function claim_due_reminders"):
            app.execute("SELECT * FROM scheduling.claim_due_reminders('app', 10, '60 seconds')")
    with psycopg.connect(db_url) as admin:
        rows = admin.execute(
            """
            SELECT b.id, b.person_id, h.actor FROM scheduling.bookings AS b
            JOIN scheduling.booking_status_history AS h ON h.booking_id = b.id
            WHERE b.session_id = %s
            """,
            (session,),
        ).fetchall()
        current = admin.execute(
            "SELECT current_attendees FROM scheduling.sessions WHERE id = %s", (session,)
        ).fetchone()
    assert rows == [(booking, ann, login)], "one booking, recorded as made by the app's login, not by the owner"
    assert current == (1,)


def test_a_cron_login_runs_the_tick_command(db_url, make_login):
    cron_url = make_login("cron", "sessionkeeper_cron")
    starts = datetime(2031, 5, 1, 10, 0, tzinfo=UTC)
    with psycopg.connect(db_url, autocommit=True) as admin:
        host = admin.execute("SELECT scheduling.create_person('Host', '+4915112345678', 'UTC')").fetchone()[0]
        session = admin.execute(
            "SELECT scheduling.create_session(%s, 'Due', %s, %s, p_now => %s)",
            (host, starts, starts + timedelta(hours=1), starts - timedelta(days=1)),
        ).fetchone()[0]
    result = run_cli("tick", "--now", "2031-05-01T10:00:30+00:00", env={"SESSIONKEEPER_DATABASE_URL": cron_url})
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)
    assert counts["started"] == 1
    assert [u["id"] for u in counts["updates"]] == [str(session)]
    with psycopg.connect(db_url) as admin:
        status = admin.execute("SELECT status::text FROM scheduling.sessions WHERE id = %s", (session,)).fetchone()
    assert status == ("in_progress",)
    with psycopg.connect(cron_url, autocommit=True) as cron, denied("table sessions"):
        cron.execute("SELECT count(*) FROM scheduling.sessions")


def test_a_worker_login_sends_each_due_reminder_once_without_reading_the_outbox(db_url, make_login, fake):
    worker_url = make_login("worker", "sessionkeeper_worker")
    add_due_reminders(db_url, 6)
    worker = start_worker(worker_url, {**fake.cloud_env(), "SESSIONKEEPER_WORKER_ID": WORKER_ID})
    try:
        wait_for(lambda: states(db_url)["sent"] == 6, "6 sent reminders", workers=(worker,))
    finally:
        code, out = stop_worker(worker)
    assert code == 0, out
    assert "Traceback" not in out and "permission denied" not in out, out
    assert "heartbeat not recorded" not in out, out
    with psycopg.connect(db_url) as admin:
        rows = admin.execute("SELECT reminder_key, provider_message_id FROM scheduling.reminders").fetchall()
        beat = admin.execute(
            "SELECT sent, stopped_at IS NOT NULL FROM scheduling.worker_heartbeats WHERE worker_id = %s", (WORKER_ID,)
        ).fetchone()
    assert len(fake.accepted) == 6, "each reminder went to the provider exactly once"
    assert sorted(a.body["biz_opaque_callback_data"] for a in fake.accepted) == sorted(key for key, _ in rows)
    assert {a.message_id for a in fake.accepted} == {provider_id for _, provider_id in rows}
    assert beat == (6, True), "the worker's heartbeats were recorded, the last one on its way out"
    with psycopg.connect(worker_url, autocommit=True) as login:
        with denied("table reminders"):
            login.execute("SELECT count(*) FROM scheduling.reminders")
        with denied("table reminders"):
            login.execute("UPDATE scheduling.reminders SET state = 'pending'")


# ---- migrate as a login that is not a superuser ------------------------------------------------------------------
def migrator_login(make_login: Callable[..., str]) -> str:
    """A login like a deployment's migrate user: no superuser, CREATEROLE, granted sessionkeeper_owner."""
    url = make_login("migrator", OWNER, "CREATEROLE")
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user").fetchone() == (
            False,
            True,
        )
    return url


def ownership(db_url: str, names: tuple[str, ...]) -> list[tuple]:
    with psycopg.connect(db_url) as admin:
        return admin.execute(
            """
            SELECT c.relname, pg_get_userbyid(c.relowner), c.relacl::text[]
            FROM pg_class AS c WHERE c.relnamespace = 'scheduling'::regnamespace AND c.relname = ANY(%(names)s)
            UNION ALL
            SELECT p.proname, pg_get_userbyid(p.proowner), p.proacl::text[]
            FROM pg_proc AS p WHERE p.pronamespace = 'scheduling'::regnamespace AND p.proname = ANY(%(names)s)
            ORDER BY 1
            """,
            {"names": list(names)},
        ).fetchall()


def test_migrate_by_a_non_superuser_owner_member_succeeds_on_a_migrated_database(db_url, make_login):
    url = migrator_login(make_login)
    result = run_cli("migrate", env={"SESSIONKEEPER_DATABASE_URL": url})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "nothing to do" in result.stdout or "applied" in result.stdout


def test_migrate_by_a_non_superuser_reapplies_changed_objects_as_the_owner(db_url, make_login, tmp_path: Path):
    url = migrator_login(make_login)
    login = psycopg.conninfo.conninfo_to_dict(url)["user"]
    before = ownership(db_url, ("health", "create_booking", "upcoming_sessions"))
    assert [owner for _, owner, _ in before] == [OWNER] * 3

    # A frozen copy of the project: the checkout may change under a running suite.
    project = copy_project(tmp_path)
    env = {"SESSIONKEEPER_DATABASE_URL": url, "SESSIONKEEPER_PROJECT_DIR": str(project)}
    result = run_cli("migrate", env=env)
    assert result.returncode == 0, result.stdout + result.stderr

    with psycopg.connect(db_url) as admin:
        ledger_before = dict(admin.execute("SELECT path, applied_at FROM sessionkeeper_meta.repeatables").fetchall())
    touched = ("sql/functions/create_booking.sql", "sql/functions/health.sql", "sql/views/upcoming_sessions.sql")
    for relpath in touched:
        path = project / relpath
        path.write_text(path.read_text() + "\n-- touched by test_roles\n")
    result = run_cli("migrate", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "applied sql/functions/create_booking.sql, sql/functions/health.sql, sql/views/upcoming_sessions.sql" in (
        result.stdout
    )
    assert ownership(db_url, ("health", "create_booking", "upcoming_sessions")) == before, (
        "re-applied by the login, still owned by sessionkeeper_owner with the same grants"
    )
    with psycopg.connect(db_url) as admin:
        owned_by_login = admin.execute(
            "SELECT count(*) FROM pg_class WHERE relowner = %(r)s::regrole "
            "UNION ALL SELECT count(*) FROM pg_proc WHERE proowner = %(r)s::regrole",
            {"r": login},
        ).fetchall()
        ledger_after = dict(admin.execute("SELECT path, applied_at FROM sessionkeeper_meta.repeatables").fetchall())
    assert owned_by_login == [(0,), (0,)], "the login owns nothing: it acted as sessionkeeper_owner"
    assert {path for path, at in ledger_after.items() if at != ledger_before[path]} == set(touched)
    result = run_cli("migrate", env=env)
    assert result.returncode == 0 and "nothing to do" in result.stdout, result.stdout + result.stderr


def test_a_migration_that_creates_a_schema_needs_create_on_the_database(db_url, make_login, tmp_path: Path):
    """Like 0011: refused, naming the grant, before it runs; with the grant it runs as the login, then as the owner."""
    url = migrator_login(make_login)
    login = psycopg.conninfo.conninfo_to_dict(url)["user"]
    project = copy_project(tmp_path)
    (project / "migrations" / "9999_probe_schema.sql").write_text(
        "RESET ROLE;\nCREATE SCHEMA sk_test_probe AUTHORIZATION sessionkeeper_owner;\n"
    )
    env = {"SESSIONKEEPER_DATABASE_URL": url, "SESSIONKEEPER_PROJECT_DIR": str(project)}
    with psycopg.connect(db_url) as admin:
        dbname = admin.info.dbname
        assert not admin.execute(
            "SELECT has_database_privilege(%s, current_database(), 'CREATE')", (login,)
        ).fetchone()[0]

    refused = run_cli("migrate", env=env)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "migrations/9999_probe_schema.sql: creates a schema or an extension" in refused.stderr
    assert f'GRANT CREATE ON DATABASE "{dbname}" TO "{login}";' in refused.stderr
    with psycopg.connect(db_url) as admin:
        assert admin.execute("SELECT count(*) FROM sessionkeeper_meta.migrations WHERE version = 9999").fetchone() == (
            0,
        )
        admin.execute(f'GRANT CREATE ON DATABASE "{dbname}" TO "{login}"')
        admin.commit()

    result = run_cli("migrate", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    with psycopg.connect(db_url) as admin:
        owner = admin.execute("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'sk_test_probe'")
        assert owner.fetchone() == (OWNER,)
