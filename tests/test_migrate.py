"""The migration engine: ledger, checksums, atomic failure, repeatable objects. Concurrent runs (the advisory
lock) are a fault test: tests/faults/test_migrate_concurrency.py."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest

from runner.db import connect
from runner.errors import SessionkeeperError
from runner.migrate import Migrator, read_migrations, read_repeatables
from tests.helpers import PROJECT, copy_project


def migrate(url: str, project: Path = PROJECT, **kwargs):
    with connect(url, autocommit=True) as conn:
        return Migrator(conn, project, say=lambda line: None).run(**kwargs)


def snapshot(url: str) -> dict[str, list]:
    """Everything migrate could have touched: relations, functions, views, ledger rows."""
    with connect(url, autocommit=True) as conn:
        return {
            "relations": conn.execute(
                "SELECT n.nspname || '.' || c.relname || ':' || c.relkind::text FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') ORDER BY 1"
            ).fetchall(),
            "functions": conn.execute(
                "SELECT p.oid::regprocedure::text || md5(p.prosrc) FROM pg_proc p "
                "JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname IN ('scheduling', 'scheduling_internal') ORDER BY 1"
            ).fetchall(),
            "ledger": conn.execute("SELECT version, checksum FROM sessionkeeper_meta.migrations ORDER BY 1").fetchall(),
            "repeatables": conn.execute(
                "SELECT path, checksum FROM sessionkeeper_meta.repeatables ORDER BY 1"
            ).fetchall(),
        }


def test_template_holds_every_migration_and_object(db_url):
    with connect(db_url) as conn:
        versions = [row[0] for row in conn.execute("SELECT version FROM sessionkeeper_meta.migrations ORDER BY 1")]
        paths = {row[0] for row in conn.execute("SELECT path FROM sessionkeeper_meta.repeatables")}
    assert versions == [m.version for m in read_migrations(PROJECT)]
    expected = {f.relpath for f in read_repeatables(PROJECT)}
    assert paths == expected


def test_second_run_finds_nothing_to_do(db_url):
    outcome = migrate(db_url)
    assert outcome.applied == []
    assert outcome.reapplied == []


def test_edited_migration_is_refused_and_named(empty_db_url, tmp_path):
    project = copy_project(tmp_path)
    migrate(empty_db_url, project)
    first = project / "migrations" / "0001_scheduling_schema.sql"
    first.write_text(first.read_text() + "\n-- an innocent-looking edit\n")
    with pytest.raises(SessionkeeperError, match=r"migrations/0001_scheduling_schema\.sql: changed after it was"):
        migrate(empty_db_url, project)


def test_failing_migration_leaves_the_database_exactly_as_it_was(empty_db_url, tmp_path):
    project = copy_project(tmp_path)
    migrate(empty_db_url, project)
    before = snapshot(empty_db_url)
    (project / "migrations" / "9001_half_done.sql").write_text(
        "CREATE TABLE scheduling.half_done (id integer);\nINSERT INTO scheduling.half_done VALUES (1);\nSELEC 'typo';\n"
    )
    with pytest.raises(SessionkeeperError) as refused:
        migrate(empty_db_url, project)
    assert str(refused.value).startswith("migrations/9001_half_done.sql line 3: syntax error")
    assert "[SQLSTATE 42601]" in str(refused.value)
    assert snapshot(empty_db_url) == before


def test_failing_sql_object_rolls_back_every_object_of_the_run(empty_db_url, tmp_path):
    project = copy_project(tmp_path)
    migrate(empty_db_url, project)
    before = snapshot(empty_db_url)
    (project / "sql" / "functions" / "aaa_fine.sql").write_text(
        "CREATE OR REPLACE FUNCTION scheduling.aaa_fine() RETURNS integer LANGUAGE sql AS 'SELECT 1';\n"
    )
    (project / "sql" / "functions" / "zzz_broken.sql").write_text(
        "CREATE OR REPLACE FUNCTION scheduling.zzz_broken() RETURNS integer\nLANGUAGE plpgsql AS $$\n"
        "BEGIN\n    RETURN 1\nEND;\n$$;\n"
    )
    with pytest.raises(SessionkeeperError, match=r"^sql/functions/zzz_broken\.sql line \d+: syntax error"):
        migrate(empty_db_url, project)
    assert snapshot(empty_db_url) == before


def test_objects_are_applied_whatever_order_they_depend_on_each_other(empty_db_url, tmp_path):
    project = copy_project(tmp_path)
    views = project / "sql" / "views"
    # a_ needs b_, which needs a SQL function: name order alone would fail.
    (views / "a_outer.sql").write_text(
        "CREATE OR REPLACE VIEW scheduling.a_outer AS SELECT n FROM scheduling.b_inner;\n"
    )
    (views / "b_inner.sql").write_text(
        "CREATE OR REPLACE VIEW scheduling.b_inner AS SELECT scheduling.zz_two() AS n;\n"
    )
    (project / "sql" / "functions" / "zz_two.sql").write_text(
        "CREATE OR REPLACE FUNCTION scheduling.zz_two() RETURNS integer LANGUAGE sql AS 'SELECT 2';\n"
    )
    migrate(empty_db_url, project)
    with connect(empty_db_url) as conn:
        assert conn.execute("SELECT n FROM scheduling.a_outer").fetchone() == (2,)


def test_changed_object_is_reapplied_and_unchanged_ones_are_not(empty_db_url, tmp_path):
    project = copy_project(tmp_path)
    target = project / "sql" / "functions" / "zz_answer.sql"
    target.write_text("CREATE OR REPLACE FUNCTION scheduling.zz_answer() RETURNS integer LANGUAGE sql AS 'SELECT 1';\n")
    migrate(empty_db_url, project)
    target.write_text(
        "CREATE OR REPLACE FUNCTION scheduling.zz_answer() RETURNS integer LANGUAGE sql AS 'SELECT 42';\n"
    )
    outcome = migrate(empty_db_url, project)
    assert outcome.reapplied == ["sql/functions/zz_answer.sql"]
    with connect(empty_db_url) as conn:
        assert conn.execute("SELECT scheduling.zz_answer()").fetchone() == (42,)


def test_dry_run_reports_the_plan_and_changes_nothing(empty_db_url):
    said: list[str] = []
    with connect(empty_db_url, autocommit=True) as conn:
        outcome = Migrator(conn, PROJECT, say=said.append).run(dry_run=True)
        everything = [m.relpath for m in read_migrations(PROJECT)]
        # One transaction cannot use the enum value 'deleted' that an earlier migration of it added: the dry
        # run checks up to there and says where it stopped.
        assert outcome.applied + outcome.unchecked == everything
        assert outcome.unchecked[0] == "migrations/0013_deleted_sessions.sql"
        assert any(line.startswith("dry run stops before migrations/0013_deleted_sessions.sql") for line in said)
        assert conn.execute("SELECT to_regnamespace('scheduling')").fetchone() == (None,)
        assert conn.execute("SELECT to_regnamespace('sessionkeeper_meta')").fetchone() == (None,)


def test_a_dry_run_checks_migrations_using_an_enum_value_committed_earlier(empty_db_url, tmp_path):
    project = copy_project(tmp_path / "project")
    # The database as the migrations up to 0013 leave it (sql/ of today needs the later ones).
    later = sorted(path for path in (project / "migrations").glob("*.sql") if path.name >= "0014")
    (project / "sql").rename(tmp_path / "sql")
    (project / "sql" / "functions").mkdir(parents=True)
    (project / "sql" / "functions" / "nothing_yet.sql").write_text("SELECT 1;\n")
    for path in later:
        path.rename(tmp_path / path.name)
    with connect(empty_db_url, autocommit=True) as conn:
        Migrator(conn, project, say=lambda line: None).run()
    for path in later:
        (tmp_path / path.name).rename(project / "migrations" / path.name)
    shutil.rmtree(project / "sql")
    (tmp_path / "sql").rename(project / "sql")
    # 0012's value committed long ago: everything up to the next migration that adds a value (0025) is checked;
    # 0026 uses 0025's value, uncommitted in the dry run's transaction, so the check stops there.
    with connect(empty_db_url, autocommit=True) as conn:
        outcome = Migrator(conn, project, say=lambda line: None).run(dry_run=True)
        assert outcome.applied == [f"migrations/{path.name}" for path in later if path.name < "0026"]
        assert outcome.unchecked == [f"migrations/{path.name}" for path in later if path.name >= "0026"]
        applied = conn.execute("SELECT max(version) FROM sessionkeeper_meta.migrations").fetchone()
        assert applied == (13,), "and nothing was kept"


def test_with_scheduling_off_migrate_succeeds_and_leaves_pg_cron_alone(empty_db_url):
    # The session sets SESSIONKEEPER_CRON_DATABASE=none: the jobs are declared but nothing is scheduled anywhere.
    outcome = migrate(empty_db_url)
    assert outcome.cron_problem and "switched off" in outcome.cron_problem
    assert outcome.schedules is not None and not outcome.schedules.changed_anything
    with connect(empty_db_url) as conn:
        assert conn.execute("SELECT to_regnamespace('cron')").fetchone() == (None,)
        declared = conn.execute("SELECT jobname FROM sessionkeeper_meta.cron_jobs WHERE scheduled_as IS NULL")
        assert len(declared.fetchall()) == len([f for f in read_repeatables(PROJECT) if f.folder == "cron"])


def test_misnamed_migration_is_refused(empty_db_url, tmp_path):
    project = copy_project(tmp_path)
    (project / "migrations" / "add_things.sql").write_text("SELECT 1;\n")
    with pytest.raises(SessionkeeperError, match=r"migrations/add_things\.sql: a migration must be named"):
        migrate(empty_db_url, project)


def test_a_migration_numbered_below_an_applied_one_is_refused(empty_db_url, tmp_path):
    project = copy_project(tmp_path)
    (project / "migrations" / "9002_late.sql").write_text("SELECT 1;\n")
    migrate(empty_db_url, project)
    (project / "migrations" / "9001_forgotten.sql").write_text("SELECT 1;\n")
    with pytest.raises(SessionkeeperError, match=r"9001_forgotten\.sql: numbered below"):
        migrate(empty_db_url, project)


def test_migrator_needs_an_autocommit_connection(empty_db_url):
    with psycopg.connect(empty_db_url) as conn, pytest.raises(ValueError):
        Migrator(conn, PROJECT)


def _reworded_entries() -> list[tuple[int, str]]:
    entries = []
    for line in (PROJECT / "migrations" / "reworded.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            version, checksum, _why = line.split(maxsplit=2)
            entries.append((int(version), checksum))
    return entries


def test_a_database_that_applied_an_earlier_wording_is_accepted_and_any_other_edit_refused(empty_db_url, tmp_path):
    project = copy_project(tmp_path)
    migrate(empty_db_url, project)
    version, earlier = _reworded_entries()[0]
    with connect(empty_db_url, autocommit=True) as conn:
        conn.execute("UPDATE sessionkeeper_meta.migrations SET checksum = %s WHERE version = %s", (earlier, version))
    assert migrate(empty_db_url, project).applied == []
    with connect(empty_db_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE sessionkeeper_meta.migrations SET checksum = repeat('0', 64) WHERE version = %s", (version,)
        )
    with pytest.raises(SessionkeeperError, match=rf"migrations/{version:04d}_\w+\.sql: changed after it was applied"):
        migrate(empty_db_url, project)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("0002 not-a-checksum why", r"reworded\.txt line 1: expected NNNN, a SHA-256"),
        ("0999 " + "a" * 64 + " why", r"reworded\.txt names migration 0999, which does not exist"),
    ],
)
def test_a_malformed_reworded_list_is_refused_before_anything_runs(tmp_path, line, message):
    project = copy_project(tmp_path)
    (project / "migrations" / "reworded.txt").write_text(line + "\n")
    with pytest.raises(SessionkeeperError, match=message):
        read_migrations(project)


def _statement_lines(text: str) -> list[str]:
    """The lines of a migration that are neither `--` comments nor inside a COMMENT ON statement's text."""
    kept, in_comment_statement = [], False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("--"):
            continue
        if stripped.upper().startswith("COMMENT ON"):
            in_comment_statement = True
        if not in_comment_statement:
            kept.append(line)
        if in_comment_statement and stripped.endswith(";"):
            in_comment_statement = False
    return kept


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(PROJECT), *args], capture_output=True, text=True, check=True).stdout


def _committed_wordings(relpath: str) -> dict[str, str]:
    """Every text the file ever had in the repository's history, by its SHA-256."""
    texts = (_git("show", f"{commit}:{relpath}") for commit in _git("log", "--format=%H", "--", relpath).split())
    return {hashlib.sha256(text.encode()).hexdigest(): text for text in texts}


@pytest.mark.skipif(not (PROJECT / ".git").exists(), reason="needs the repository's history")
def test_reworded_migrations_changed_only_their_comments():
    migrations = {m.version: m for m in read_migrations(PROJECT)}
    for version, earlier in _reworded_entries():
        current = migrations[version]
        wordings = _committed_wordings(current.relpath)
        assert earlier in wordings, f"{current.relpath}: no commit holds the wording with checksum {earlier}"
        assert _statement_lines(wordings[earlier]) == _statement_lines(current.sql), current.relpath
