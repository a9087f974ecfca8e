"""The catalogue of hostile input (tests/hostile_cases.py), row by row, against a migrated database.

Every SQL row runs in its own transaction as the role it names (SET LOCAL ROLE) and must fail with exactly the
SQLSTATE it expects and a one-line message; every command row runs the real `sessionkeeper` process and must exit
with the status it expects and say one line on stderr (click's usage errors: exit 2, naming the bad option). The
proof that bad input writes nothing: a fingerprint of the whole database (every table of schemas scheduling and
sessionkeeper_meta and cron.job, row by row, and every sequence's last value) taken before and after each row is
identical. The rows of ACCEPTED are free text that must be stored verbatim and touch only the tables they name.

All rows share one database (a copy of the migrated template with the fixture of hostile_cases.FIXTURE), so the
file stays fast; a row that wrote anything fails on its own fingerprint.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import click
import psycopg
import pytest
from psycopg import sql as pgsql

from runner.cli import cli as sessionkeeper_cli
from runner.db import connect
from runner.worker import _clip
from tests import hostile_cases as catalogue
from tests.helpers import PROJECT, copy_project, fingerprint_query, run_cli
from tests.hostile_catalogue import DOCUMENT, render

DBNAME = "sessionkeeper_hostile"
LOGIN_PASSWORD = "hostile-login"
LOGINS = {  # login role -> the group role it holds (None: nothing at all)
    "sk_hostile_app_login": catalogue.APP,
    "sk_hostile_worker_login": catalogue.WORKER,
    "sk_hostile_nobody_login": None,
}


@dataclass
class Hostile:
    conn: psycopg.Connection  # superuser, autocommit
    ids: dict[str, str]
    urls: dict[str, str]
    projects: dict[str, Path]
    fingerprint_query: pgsql.Composed


def _create_roles(conn: psycopg.Connection) -> None:
    """Roles are cluster-wide: made once, when missing (the cluster is the test session's own)."""
    existing = {row[0] for row in conn.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE 'sk_hostile_%'")}
    if catalogue.NOBODY not in existing:
        conn.execute(pgsql.SQL("CREATE ROLE {} NOLOGIN").format(pgsql.Identifier(catalogue.NOBODY)))
    for login, group in LOGINS.items():
        if login not in existing:
            conn.execute(
                pgsql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    pgsql.Identifier(login), pgsql.Literal(LOGIN_PASSWORD)
                )
            )
            if group:
                conn.execute(pgsql.SQL("GRANT {} TO {}").format(pgsql.Identifier(group), pgsql.Identifier(login)))


def _build_fixture(conn: psycopg.Connection) -> dict[str, str]:
    """The objects of hostile_cases.FIXTURE, made through the functions (as the superuser), at fixed times."""
    ids: dict[str, str] = {}

    def one(name: str, query: str, *params: object) -> str:
        value = conn.execute(query, params).fetchone()[0]
        ids[name] = str(value)
        return str(value)

    now = "2030-01-01 00:00+00"
    host = one("host", "SELECT scheduling.create_person('Hana Host', '+4915100000001', 'Europe/Berlin', true)")
    attendee = one(
        "attendee", "SELECT scheduling.create_person('Ali Attendee', '+4915100000002', 'Europe/Berlin', true)"
    )
    other = one("other", "SELECT scheduling.create_person('Olga Other', '+5511900000003', 'America/Sao_Paulo', true)")

    def new_session(name: str, day: str, capacity: int = 3) -> str:
        return one(
            name,
            "SELECT scheduling.create_session(%s, 'Group class', %s::timestamptz, %s::timestamptz + interval '1 hour',"
            " p_capacity => %s, p_now => %s)",
            host,
            f"{day} 10:00 Europe/Berlin",
            f"{day} 10:00 Europe/Berlin",
            capacity,
            now,
        )

    session = new_session("session", "2030-06-03")
    one("booking", "SELECT scheduling.create_booking(%s, %s, p_now => %s)", session, attendee, now)
    one("cancelled_booking", "SELECT scheduling.create_booking(%s, %s, p_now => %s)", session, other, now)
    conn.execute("SELECT scheduling.cancel_booking(%s, 'fixture', p_now => %s)", (ids["cancelled_booking"], now))
    appointment = one(
        "appointment_booking",
        "SELECT scheduling.create_appointment(%s, %s, 'Haircut', '2030-06-04 10:00+02', '2030-06-04 10:30+02', "
        "p_now => %s)",
        host,
        attendee,
        now,
    )
    one("appointment_session", "SELECT session_id FROM scheduling.bookings WHERE id = %s", appointment)
    started = new_session("in_progress_session", "2030-06-05")
    conn.execute("SELECT scheduling.start_session(%s, p_now => '2030-06-05 09:55+02')", (started,))
    cancelled = new_session("cancelled_session", "2030-06-06")
    conn.execute("SELECT scheduling.cancel_session(%s, 'fixture', p_now => %s)", (cancelled, now))
    deleted = new_session("deleted_session", "2030-06-07")
    conn.execute("SELECT scheduling.delete_session(%s, 'fixture', p_now => %s)", (deleted, now))

    weekly = (
        "SELECT scheduling.create_template(%s, %s, 'FREQ=WEEKLY;BYDAY=MO', '2030-01-07', '09:00', '1 hour', "
        "p_now => %s)"
    )
    one("template", weekly, host, "Weekly yoga", now)
    paused = one("paused_template", weekly, host, "Paused yoga", now)
    conn.execute("SELECT scheduling.pause_template(%s, p_now => %s)", (paused, now))
    ended = one("ended_template", weekly, host, "Ended yoga", now)
    conn.execute("SELECT scheduling.end_template(%s, p_now => %s)", (ended, now))

    workshop = one("workshop", "SELECT scheduling.create_workshop(%s, 'Pottery weekend', 2)", host)
    run = one("run", "SELECT scheduling.create_workshop_run(%s, 'June 2030 Batch', '2030-06-08')", workshop)
    day_one = one(
        "workshop_session",
        "SELECT scheduling.add_workshop_session(%s, 1, '2030-06-08 10:00+02', '2030-06-08 16:00+02', p_now => %s)",
        run,
        now,
    )
    conn.execute("SELECT scheduling.enroll(%s, %s, p_now => %s)", (day_one, attendee, now))
    one("empty_workshop", "SELECT scheduling.create_workshop(%s, 'Empty workshop', 0)", host)

    leased = one(
        "leased_reminder",
        "SELECT id FROM scheduling.reminders WHERE booking_id = %s AND state = 'pending' ORDER BY due_at LIMIT 1",
        ids["booking"],
    )
    conn.execute(
        "UPDATE scheduling.reminders SET state = 'leased', attempt_token = %s, leased_by = 'worker-1', "
        "lease_expires_at = due_at + interval '1 minute' WHERE id = %s",
        (catalogue.TOKEN, leased),
    )
    one(
        "pending_reminder",
        "SELECT id FROM scheduling.reminders WHERE booking_id = %s AND state = 'pending' ORDER BY due_at LIMIT 1",
        appointment,
    )
    conn.execute("SELECT scheduling.take_send_tokens('cloud_api:hostile', 1, %s)", (now,))
    conn.execute("SELECT scheduling.worker_heartbeat('worker-1', 'console', '{}', false, %s)", (now,))
    weekdays = '{"mon": ["08:00-18:00"], "tue": ["08:00-18:00"], "wed": ["08:00-18:00"], "thu": ["08:00-18:00"], '
    conn.execute(
        "SELECT scheduling.set_working_hours(%s, %s, 'fixture', %s)", (host, weekdays + '"fri": ["08:00-18:00"]}', now)
    )
    one(
        "host_day_off",
        "SELECT scheduling.add_working_hours_exception(%s, '2030-12-24', 'day_off', NULL, 'fixture', 'fixture', %s)",
        host,
        now,
    )
    return ids


def fingerprint(hostile: Hostile) -> dict[str, str]:
    """relation -> digest of its rows (or a sequence's last value), read on the superuser connection."""
    return dict(hostile.conn.execute(hostile.fingerprint_query).fetchall())


def _changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}


def _url(cluster_url: str, *, user: str | None = None, password: str | None = None, dbname: str = DBNAME) -> str:
    match = re.match(r"postgresql://([^:]+):([^@]*)@([^/]+)/(.*)", cluster_url)
    assert match, cluster_url
    return f"postgresql://{user or match[1]}:{password or match[2]}@{match[3]}/{dbname}"


def _projects(root: Path) -> dict[str, Path]:
    edited = copy_project(root / "edited_migration")
    migration = edited / "migrations" / "0001_scheduling_schema.sql"
    migration.write_text(migration.read_text() + "\n-- edited after it was applied\n")
    broken = copy_project(root / "broken_sql")
    function = broken / "sql" / "functions" / "create_person.sql"
    function.write_text(function.read_text().replace("RETURNS uuid", "RETURNS uuid uuid", 1))
    assert set(catalogue.PROJECTS) == {"edited_migration", "broken_sql"}
    return {"edited_migration": edited, "broken_sql": broken}


@pytest.fixture(scope="module")
def hostile(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    proc = request.getfixturevalue("postgresql_noproc")
    admin_url = f"postgresql://{proc.user}:{proc.password}@{proc.host}:{proc.port}/postgres"
    with connect(admin_url, autocommit=True) as admin:
        admin.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(DBNAME)))
        admin.execute(
            pgsql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                pgsql.Identifier(DBNAME), pgsql.Identifier(proc.template_dbname)
            )
        )
        _create_roles(admin)
    url = _url(admin_url)
    conn = connect(url, autocommit=True)
    try:
        with conn.transaction():
            ids = _build_fixture(conn)
        root = tmp_path_factory.mktemp("hostile")
        (root / "empty").mkdir()
        urls = {
            "$URL": url,
            "$APP_URL": _url(admin_url, user="sk_hostile_app_login", password=LOGIN_PASSWORD),
            "$WORKER_URL": _url(admin_url, user="sk_hostile_worker_login", password=LOGIN_PASSWORD),
            "$NOBODY_URL": _url(admin_url, user="sk_hostile_nobody_login", password=LOGIN_PASSWORD),
            "$UNREACHABLE": "postgresql://sessionkeeper@127.0.0.1:1/sessionkeeper",
            "$WRONG_PASSWORD": _url(admin_url, password="not-the-password"),
            "$NO_SUCH_DB": _url(admin_url, dbname="sessionkeeper_no_such_db"),
            "$NOT_A_URL": "not a url",
            "$EMPTY_DIR": str(root / "empty"),
        }
        assert set(urls) == set(catalogue.URLS)
        yield Hostile(conn, ids, urls, _projects(root), fingerprint_query(conn))
    finally:
        conn.close()
        with connect(admin_url, autocommit=True) as admin:
            admin.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(DBNAME)))


def _with_ids(text: str, ids: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        return ids[match[1]] if match[1] in ids else match[0]

    return re.sub(r"<([a-z_:]+)>", replace, text)


def _run_sql(hostile: Hostile, role: str, query: str, *, simulated_time: bool = True) -> psycopg.Error | None:
    """The query in its own transaction as ``role``, always rolled back; the error it raised, if any.
    ``simulated_time=False``: with sessionkeeper.simulated_time off (the cluster has it on)."""
    try:
        with hostile.conn.transaction(force_rollback=True):
            hostile.conn.execute("SET LOCAL statement_timeout = '10s'")
            if not simulated_time:
                hostile.conn.execute("SET LOCAL sessionkeeper.simulated_time = off")
            hostile.conn.execute(pgsql.SQL("SET LOCAL ROLE {}").format(pgsql.Identifier(role)))
            hostile.conn.execute(query)
    except psycopg.Error as problem:
        return problem
    return None


@pytest.mark.parametrize("case", catalogue.SQL_CASES, ids=lambda case: case.id)
def test_sql_case_fails_with_its_sqlstate_and_writes_nothing(hostile: Hostile, case: catalogue.SqlCase) -> None:
    before = fingerprint(hostile)
    problem = _run_sql(hostile, case.role, _with_ids(case.sql, hostile.ids), simulated_time=case.simulated_time)
    after = fingerprint(hostile)

    assert problem is not None, f"{case.id}: accepted: {case.sql}"
    message = problem.diag.message_primary or ""
    assert _changed(before, after) == set()
    if case.today:  # an open problem: it fails as the catalogue says it does today
        assert problem.sqlstate == case.today, message[:300]
        pytest.xfail(f"open: gives {case.today}, should give {case.sqlstate}: {catalogue.OPEN[case.id]}")
    assert (problem.sqlstate, case.id) == (case.sqlstate, case.id), message[:300]
    assert "\n" not in message, message
    assert len(message) < 1000, message[:300]


@pytest.mark.parametrize("target", catalogue.FUNCTIONS, ids=str)
def test_the_wrong_role_rows_call_what_the_right_role_may(hostile: Hostile, target: str) -> None:
    """The good call that the wrong-role rows make works for the role the function is granted to."""
    fn = catalogue.FUNCTIONS[target]
    for role in filter(None, [fn.role, fn.also]):
        problem = _run_sql(hostile, role, _with_ids(f"SELECT scheduling.{target}({fn.good_call})", hostile.ids))
        assert problem is None, f"{target} as {role}: {problem}"


@pytest.fixture(scope="module")
def cli_results(hostile: Hostile) -> dict[str, tuple[dict[str, str], object, dict[str, str]]]:
    """Every command row, run as a real process. Rows that get past click to the fixture database run one at a
    time, each between two fingerprints; the others (usage errors, other URLs) run side by side between two."""
    results = {}

    def run(case: catalogue.CliCase):
        argv = [_with_ids(hostile.urls.get(word, word), hostile.ids) for word in case.argv]
        env = {"SESSIONKEEPER_PROJECT_DIR": str(hostile.projects[case.project])} if case.project else {}
        env["SESSIONKEEPER_PGDATA"] = hostile.urls["$EMPTY_DIR"]  # never the checkout's own .pgdata
        if not case.simulated_time:  # libpq passes PGOPTIONS to the server: this setting for every connection
            env["PGOPTIONS"] = "-c sessionkeeper.simulated_time=off"
        return run_cli(*argv, env=env, timeout=60)

    touching = [case for case in catalogue.CLI_CASES if not case.usage_error and _reaches_the_fixture(case)]
    elsewhere = [case for case in catalogue.CLI_CASES if case not in touching]
    for case in touching:
        before = fingerprint(hostile)
        outcome = run(case)
        results[case.id] = (before, outcome, fingerprint(hostile))
    # Rows that never reach the fixture database (another URL, or none) run side by side.
    unchanged = fingerprint(hostile)
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = dict(zip([c.id for c in elsewhere], pool.map(run, elsewhere), strict=True))
    after = fingerprint(hostile)
    for case_id, outcome in outcomes.items():
        results[case_id] = (unchanged, outcome, after)
    return results


def _says(expected: str, line: str) -> bool:
    """The line is ``expected`` with each "…" standing for some text (at the end: anything that follows)."""
    pattern = ".*".join(re.escape(part) for part in expected.split("…"))
    return re.fullmatch(pattern + (".*" if expected.endswith("…") else ""), line) is not None


def _reaches_the_fixture(case: catalogue.CliCase) -> bool:
    return any(word in ("$URL", "$APP_URL", "$WORKER_URL", "$NOBODY_URL") for word in case.argv)


@pytest.mark.parametrize("case", catalogue.CLI_CASES, ids=lambda case: case.id)
def test_command_fails_with_one_line_and_writes_nothing(cli_results, case: catalogue.CliCase) -> None:
    before, outcome, after = cli_results[case.id]
    stderr = outcome.stderr.strip()
    assert outcome.returncode == case.exit_code, f"{case.argv}: exit {outcome.returncode}: {stderr}"
    assert "Traceback" not in stderr, stderr
    if case.usage_error:
        assert "Usage:" in stderr and case.says in stderr, stderr
    else:
        assert len(stderr.splitlines()) == 1, f"{case.argv}: stderr is not one line:\n{stderr}"
        assert _says(case.says, stderr), f"expected {case.says!r}, got {stderr!r}"
    assert _changed(before, after) == set()


def _table_of(relation: str) -> str:
    """scheduling.x_id_seq belongs to table x."""
    name = relation.split(".", 1)[1]
    return name.removesuffix("_id_seq")


@pytest.mark.parametrize("case", catalogue.ACCEPTED, ids=lambda case: case.id)
def test_free_text_is_stored_verbatim(hostile: Hostile, case: catalogue.AcceptedCase) -> None:
    before = fingerprint(hostile)
    conn = hostile.conn
    with conn.transaction(force_rollback=True):
        conn.execute(pgsql.SQL("SET LOCAL ROLE {}").format(pgsql.Identifier(catalogue.FUNCTIONS[case.target].role)))
        row_id = conn.execute(_with_ids(case.sql, hostile.ids)).fetchone()[0]
        conn.execute("RESET ROLE")
        stored = conn.execute(case.read_back, (row_id,)).fetchone()[0]
        during = fingerprint(hostile)
    assert stored == case.expected
    assert {_table_of(name) for name in _changed(before, during)} == case.tables
    # Rolled back: every table as it was (a sequence keeps the numbers it handed out).
    assert {name for name in _changed(before, fingerprint(hostile)) if not name.endswith("_seq")} == set()


def test_the_worker_cuts_provider_errors_to_what_the_database_accepts(hostile: Hostile) -> None:
    longest = _clip("e" * 5000, 2000)
    assert longest is not None and len(longest) == 2000 and _clip(None, 2000) is None and _clip("ok", 2000) == "ok"
    args = f"'<leased_reminder>', '{catalogue.TOKEN}', %s, %s, true"
    query = _with_ids(f"SELECT scheduling.record_reminder_failure({args})", hostile.ids)
    with hostile.conn.transaction(force_rollback=True):
        hostile.conn.execute("SET LOCAL ROLE sessionkeeper_worker")
        state = hostile.conn.execute(query, (_clip("c" * 300, 200), longest)).fetchone()[0]
    assert state == "pending"


def test_every_granted_function_is_in_the_catalogue(hostile: Hostile) -> None:
    granted = dict(
        hostile.conn.execute(
            """
            SELECT p.proname, string_agg(DISTINCT r.rolname, ' ' ORDER BY r.rolname)
            FROM pg_proc AS p
            CROSS JOIN LATERAL aclexplode(p.proacl) AS a
            INNER JOIN pg_roles AS r ON a.grantee = r.oid
            WHERE
                p.pronamespace = 'scheduling'::regnamespace
                AND a.privilege_type = 'EXECUTE'
                AND r.rolname IN (
                    'sessionkeeper_app', 'sessionkeeper_worker', 'sessionkeeper_cron', 'sessionkeeper_webhook'
                )
            GROUP BY p.proname
            """
        ).fetchall()
    )
    listed = {name: " ".join(sorted(filter(None, [fn.role, fn.also]))) for name, fn in catalogue.FUNCTIONS.items()}
    assert listed == granted
    counts = {name: sum(case.target == name for case in catalogue.SQL_CASES) for name in catalogue.FUNCTIONS}
    assert min(counts.values()) >= 4, counts


def _commands(group: click.Group, prefix: str = "") -> Iterator[str]:
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            if command.invoke_without_command:
                yield path
            yield from _commands(command, f"{path} ")
        else:
            yield path


def test_every_command_is_in_the_catalogue() -> None:
    commands = set(_commands(sessionkeeper_cli))
    covered = {case.target for case in catalogue.CLI_CASES}
    assert commands - covered == set()
    assert covered - commands == {"sessionkeeper"}


def test_readme_explains_every_sqlstate_of_the_catalogue() -> None:
    readme = (PROJECT / "README.md").read_text()
    used = {case.sqlstate for case in catalogue.SQL_CASES if case.sqlstate.startswith("SK")}
    missing = sorted(code for code in used if f"| {code} |" not in readme)
    assert missing == []


def test_the_catalogue_document_is_current() -> None:
    assert DOCUMENT.exists() and DOCUMENT.read_text() == render(), (
        "docs/hostile-input.md is not the rendering of tests/hostile_cases.py; regenerate it with "
        "`.venv/bin/python -m tests.hostile_catalogue`"
    )
