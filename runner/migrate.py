"""Versioned migrations and repeatable SQL objects.

* ``migrations/NNNN_description.sql`` run once, in number order, each in its own transaction. The
  ledger row is written first, inside that transaction, so a migration and its record land together
  or not at all. An applied file whose checksum changed makes migrate refuse and name it, unless
  ``migrations/reworded.txt`` lists the checksum it was applied with: a landed migration whose comments
  alone were reworded later (the statements never change; a change of behaviour is a new migration).
* ``sql/functions``, ``sql/triggers``, ``sql/views`` and ``sql/cron`` hold repeatable objects
  (CREATE OR REPLACE). They are re-applied, all in one transaction after the versioned files, when
  their checksum changed, and all of them whenever a versioned migration ran. Order: functions,
  triggers, views, cron, each folder in name order; an object that fails because something it uses
  does not exist yet is retried after the others, until nothing more can be applied. Everything runs as
  sessionkeeper_owner once migration 0007 made it; sql/cron only declares the pg_cron jobs.
* Then the declared jobs are put into pg_cron, wherever it lives (runner.schedules).
* ``preflight`` refuses a server older than 15, or a login that could only half-install, before anything
  changes; so does a pending migration that creates a schema, for a login without CREATE on the database. The SQL
  files are all read before anything changes too.
* An advisory lock serialises concurrent runs: the second waits, then finds nothing to do.
* ``dry_run`` does everything inside one transaction and rolls it back. PostgreSQL lets a transaction use
  an enum value that ALTER TYPE ... ADD VALUE added only after that statement committed, so a dry run
  stops, and says so, before the first migration that uses a value an earlier pending one adds; a real
  run commits each migration first and is not affected.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import errors as pgerrors

from runner import db, schedules
from runner.db import quote_ident
from runner.errors import SessionkeeperError
from runner.schedules import SyncReport

MIGRATION_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")
# A migration that creates a schema or an extension needs CREATE on the database (the migrating login's, not the
# owner role's).
NEEDS_CREATE_ON_DATABASE = re.compile(r"^\s*CREATE\s+(SCHEMA|EXTENSION)\b", re.IGNORECASE | re.MULTILINE)
REPEATABLE_FOLDERS = ("functions", "triggers", "views", "cron")
# migrations/reworded.txt: "NNNN <sha256 of an earlier wording> <what changed>" per line, # for comments.
REWORDED_FILE = "reworded.txt"
REWORDED_LINE = re.compile(r"^(?P<version>\d{4})\s+(?P<checksum>[0-9a-f]{64})\s+\S")
# pg_advisory_lock key for migrate: the bytes "skmigrat" read as a signed 64-bit integer.
MIGRATE_LOCK_KEY = int.from_bytes(b"skmigrat", "big", signed=True)
LEDGER_SCHEMA = "sessionkeeper_meta"
OWNER_ROLE = "sessionkeeper_owner"  # made by migrations/0007_roles.sql
GROUP_ROLES = (OWNER_ROLE, "sessionkeeper_app", "sessionkeeper_worker", "sessionkeeper_cron", "sessionkeeper_webhook")
MINIMUM_SERVER_VERSION = 150000
# Errors that mean "something this object uses is not there yet": retried after the others.
MISSING_DEPENDENCY = (
    pgerrors.UndefinedTable,
    pgerrors.UndefinedFunction,
    pgerrors.UndefinedObject,
    pgerrors.UndefinedColumn,
    pgerrors.InvalidSchemaName,
)

LEDGER_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {LEDGER_SCHEMA};
COMMENT ON SCHEMA {LEDGER_SCHEMA} IS 'sessionkeeper''s migration ledger: what migrate applied, and when.';
CREATE TABLE IF NOT EXISTS {LEDGER_SCHEMA}.migrations (
    version integer PRIMARY KEY,
    filename text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    applied_by text NOT NULL DEFAULT current_user
);
COMMENT ON TABLE {LEDGER_SCHEMA}.migrations IS 'One row per versioned migration applied, written in its transaction.';
CREATE TABLE IF NOT EXISTS {LEDGER_SCHEMA}.repeatables (
    path text PRIMARY KEY,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
COMMENT ON TABLE {LEDGER_SCHEMA}.repeatables IS 'Checksum of each repeatable SQL file (sql/...) as last applied.';
"""


@dataclass(frozen=True)
class SqlFile:
    """One SQL file of the project, named by its path relative to the project folder."""

    relpath: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @property
    def folder(self) -> str:
        return self.relpath.split("/")[1] if self.relpath.startswith("sql/") else "migrations"


@dataclass(frozen=True)
class Migration(SqlFile):
    version: int = 0
    # Checksums of earlier wordings of this file (comments only) that a database may have recorded.
    earlier_checksums: frozenset[str] = frozenset()

    def recorded_as_applied(self, checksum: str) -> bool:
        return checksum == self.checksum or checksum in self.earlier_checksums


def read_reworded(folder: Path) -> dict[int, frozenset[str]]:
    """The earlier checksums of reworded migrations, by version; a malformed line is an error."""
    path = folder / REWORDED_FILE
    if not path.is_file():
        return {}
    try:
        lines = path.read_text().splitlines()
    except OSError as problem:
        raise SessionkeeperError(f"cannot read migrations/{REWORDED_FILE}: {problem.strerror or problem}") from None
    earlier: dict[int, set[str]] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = REWORDED_LINE.match(line)
        if not match:
            raise SessionkeeperError(
                f"migrations/{REWORDED_FILE} line {number}: expected NNNN, a SHA-256 in hex and what changed"
            )
        earlier.setdefault(int(match["version"]), set()).add(match["checksum"])
    return {version: frozenset(checksums) for version, checksums in earlier.items()}


def read_migrations(project: Path) -> list[Migration]:
    """The versioned migrations in number order; a misnamed file or a duplicate number is an error."""
    folder = project / "migrations"
    try:
        paths = sorted(folder.glob("*.sql")) if folder.is_dir() else []
        texts = {path: path.read_text() for path in paths}
    except OSError as problem:
        raise SessionkeeperError(f"cannot read the migrations in {folder}: {problem.strerror or problem}") from None
    if not paths:
        raise SessionkeeperError(
            f"no migrations found in {folder}: this installation is incomplete "
            "(reinstall sessionkeeper, or point SESSIONKEEPER_PROJECT_DIR at a checkout)"
        )
    reworded = read_reworded(folder)
    found: dict[int, Migration] = {}
    for path in paths:
        match = MIGRATION_NAME.match(path.name)
        if not match:
            raise SessionkeeperError(
                f"migrations/{path.name}: a migration must be named NNNN_description.sql (lowercase, digits, _)"
            )
        version = int(match["version"])
        if version in found:
            raise SessionkeeperError(f"migrations/{path.name}: number {version:04d} is used twice")
        found[version] = Migration(
            f"migrations/{path.name}",
            texts[path],
            version=version,
            earlier_checksums=reworded.get(version, frozenset()),
        )
    unknown = sorted(set(reworded) - set(found))
    if unknown:
        raise SessionkeeperError(
            f"migrations/{REWORDED_FILE} names migration {unknown[0]:04d}, which does not exist in {folder}"
        )
    return [found[version] for version in sorted(found)]


def read_repeatables(project: Path) -> list[SqlFile]:
    """The repeatable files, in the order they are applied."""
    if not (project / "sql" / "functions").is_dir():
        raise SessionkeeperError(
            f"no SQL objects found in {project / 'sql'}: this installation is incomplete "
            "(reinstall sessionkeeper, or point SESSIONKEEPER_PROJECT_DIR at a checkout)"
        )
    files = []
    try:
        for folder in REPEATABLE_FOLDERS:
            for path in sorted((project / "sql" / folder).glob("*.sql")):
                files.append(SqlFile(f"sql/{folder}/{path.name}", path.read_text()))
    except OSError as problem:
        raise SessionkeeperError(f"cannot read {project / 'sql'}: {problem.strerror or problem}") from None
    return files


@dataclass
class Plan:
    """What migrate found: what is applied, what is pending, what has been edited."""

    pending: list[Migration] = field(default_factory=list)
    applied: dict[int, tuple[str, str, object]] = field(default_factory=dict)  # version -> filename, checksum, at
    edited: list[Migration] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    out_of_order: list[Migration] = field(default_factory=list)
    repeatable_changed: list[SqlFile] = field(default_factory=list)
    repeatable_current: list[SqlFile] = field(default_factory=list)
    repeatable_checksums: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    """What one migrate run did (or, in a dry run, would do)."""

    applied: list[str] = field(default_factory=list)
    reapplied: list[str] = field(default_factory=list)
    schedules: SyncReport | None = None  # what became of the pg_cron jobs
    dry_run: bool = False
    # A dry run that had to stop early (see the module's docstring): the migrations it could not check.
    unchecked: list[str] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        return bool(self.applied or self.reapplied or (self.schedules and self.schedules.changed_anything))

    @property
    def cron_problem(self) -> str | None:
        """Why pg_cron does not drive the schedules of this database (None when it does)."""
        if self.schedules is None or self.schedules.place.usable:
            return None
        return self.schedules.problem


def migration_error(sql_file: SqlFile, problem: psycopg.Error) -> SessionkeeperError:
    """One line naming the file, the line PostgreSQL points at, the message and the SQLSTATE."""
    diag = problem.diag
    where = sql_file.relpath
    position = diag.statement_position
    if position and position.isdigit():
        line = sql_file.sql[: int(position) - 1].count("\n") + 1
        where += f" line {line}"
    message = (diag.message_primary or str(problem)).strip().splitlines()[0]
    context = ""
    if diag.context:
        context_lines = [c for c in diag.context.splitlines() if c.strip()]
        if context_lines:
            context = f" ({context_lines[-1].strip()})"
    state = f" [SQLSTATE {diag.sqlstate}]" if diag.sqlstate else ""
    return SessionkeeperError(f"{where}: {message}{context}{state}")


class NeedsCommittedEnumValue(Exception):
    """A migration uses an enum value added earlier in the same (dry-run) transaction (SQLSTATE 55P04)."""


UNSAFE_NEW_ENUM_VALUE = "55P04"


class Migrator:
    """Applies the project's SQL to one database."""

    def __init__(
        self,
        conn: psycopg.Connection,
        project: Path,
        say: Callable[[str], None] = print,
        *,
        cron_database: str | None = None,
    ) -> None:
        if not conn.autocommit:
            raise ValueError("Migrator needs an autocommit connection: it manages its own transactions")
        self.conn = conn
        self.project = project
        self.say = say
        # Where pg_cron lives ("none": leave it alone); None: $SESSIONKEEPER_CRON_DATABASE, else found on the server.
        self.cron_database = cron_database

    # ---- reading state ----------------------------------------------------------------------
    def ledger_exists(self) -> bool:
        row = self.conn.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{LEDGER_SCHEMA}.migrations",)).fetchone()
        return bool(row and row[0])

    def plan(self) -> Plan:
        migrations = read_migrations(self.project)
        repeatables = read_repeatables(self.project)
        plan = Plan()
        if self.ledger_exists():
            for version, filename, checksum, applied_at in self.conn.execute(
                f"SELECT version, filename, checksum, applied_at FROM {LEDGER_SCHEMA}.migrations"
            ):
                plan.applied[version] = (filename, checksum, applied_at)
            plan.repeatable_checksums = dict(
                self.conn.execute(f"SELECT path, checksum FROM {LEDGER_SCHEMA}.repeatables").fetchall()
            )
        on_disk = {m.version for m in migrations}
        newest_applied = max(plan.applied, default=0)
        for migration in migrations:
            recorded = plan.applied.get(migration.version)
            if recorded is None:
                if migration.version < newest_applied:
                    plan.out_of_order.append(migration)
                plan.pending.append(migration)
            elif not migration.recorded_as_applied(recorded[1]):
                plan.edited.append(migration)
        plan.missing = [plan.applied[v][0] for v in sorted(plan.applied) if v not in on_disk]
        for sql_file in repeatables:
            if plan.repeatable_checksums.get(sql_file.relpath) == sql_file.checksum:
                plan.repeatable_current.append(sql_file)
            else:
                plan.repeatable_changed.append(sql_file)
        return plan

    def refuse_if_unsafe(self, plan: Plan) -> None:
        if plan.edited:
            names = ", ".join(m.relpath for m in plan.edited)
            raise SessionkeeperError(
                f"{names}: changed after it was applied; migrations are never edited once applied, "
                "add a new migration instead"
            )
        if plan.out_of_order:
            names = ", ".join(m.relpath for m in plan.out_of_order)
            raise SessionkeeperError(
                f"{names}: numbered below a migration that is already applied; give it the next free number"
            )

    def preflight(self) -> None:
        """Refuse, before changing anything, a server or login that could only half-install."""
        version = int(self.conn.execute("SHOW server_version_num").fetchone()[0])
        if version < MINIMUM_SERVER_VERSION:
            shown = self.conn.execute("SHOW server_version").fetchone()[0]
            raise SessionkeeperError(f"PostgreSQL {shown} is too old: sessionkeeper needs PostgreSQL 15 or later")
        login, superuser, createrole, may_create, roles_missing, owner_member = self.conn.execute(
            """
            SELECT r.rolname, r.rolsuper, r.rolcreaterole,
                   has_database_privilege(current_database(), 'CREATE'),
                   EXISTS (SELECT FROM unnest(%s::text[]) AS g(name) WHERE to_regrole(g.name) IS NULL),
                   to_regrole(%s) IS NOT NULL AND pg_has_role(current_user, %s, 'MEMBER')
            FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user
            """,
            (list(GROUP_ROLES), OWNER_ROLE, OWNER_ROLE),
        ).fetchone()
        if superuser:
            return
        missing = []
        if not self.ledger_exists() and not may_create:
            missing.append(f"GRANT CREATE ON DATABASE {quote_ident(self.conn.info.dbname)} TO {quote_ident(login)};")
        if (roles_missing or not owner_member) and not createrole:
            missing.append(
                f"ALTER ROLE {quote_ident(login)} CREATEROLE;"
                if roles_missing
                else f"GRANT {OWNER_ROLE} TO {quote_ident(login)};"
            )
        if missing:
            raise SessionkeeperError(
                f"login {login} may not install sessionkeeper in database {self.conn.info.dbname}; "
                f"a superuser runs once: {' '.join(missing)}"
            )

    def refuse_schema_without_create(self, plan: Plan) -> None:
        """A pending migration that creates a schema or an extension needs CREATE on the database: refuse before the
        first one runs."""
        needing = [m.relpath for m in plan.pending if NEEDS_CREATE_ON_DATABASE.search(m.sql)]
        if not needing:
            return
        login, allowed = self.conn.execute(
            "SELECT current_user, has_database_privilege(current_database(), 'CREATE')"
        ).fetchone()
        if not allowed:
            raise SessionkeeperError(
                f"{', '.join(needing)}: creates a schema or an extension, which needs CREATE on database "
                f"{self.conn.info.dbname}; "
                f"a superuser runs once: GRANT CREATE ON DATABASE {quote_ident(self.conn.info.dbname)} "
                f"TO {quote_ident(login)};"
            )

    # ---- applying ---------------------------------------------------------------------------
    @contextmanager
    def _lock(self) -> Iterator[None]:
        got_it = self.conn.execute("SELECT pg_try_advisory_lock(%s)", (MIGRATE_LOCK_KEY,)).fetchone()[0]
        if not got_it:
            self.say("another migrate is running on this database; waiting for it to finish")
            self.conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATE_LOCK_KEY,))
        try:
            yield
        finally:
            if not self.conn.closed:
                self.conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATE_LOCK_KEY,))

    def run(self, *, dry_run: bool = False) -> Outcome:
        outcome = Outcome(dry_run=dry_run)
        # Read every file before touching the database: a missing or unreadable set changes nothing.
        read_migrations(self.project)
        read_repeatables(self.project)
        with self._lock():
            # A dry run nests every step in one transaction that is rolled back at the end.
            outer = self.conn.transaction(force_rollback=True) if dry_run else nullcontext()
            with outer:
                self.preflight()
                if not self.ledger_exists():
                    # Only the first run creates the ledger: later runs need no CREATE on the database.
                    with self.conn.transaction():
                        self.conn.execute(LEDGER_DDL)
                plan = self.plan()
                self.refuse_if_unsafe(plan)
                self.refuse_schema_without_create(plan)
                for index, migration in enumerate(plan.pending):
                    try:
                        self._apply_migration(migration, dry_run=dry_run)
                    except NeedsCommittedEnumValue:
                        outcome.unchecked = [m.relpath for m in plan.pending[index:]]
                        self.say(
                            f"dry run stops before {migration.relpath}: it uses an enum value that an earlier "
                            "migration of this run adds, which PostgreSQL allows only once that one has committed "
                            f"(a real migrate commits each migration first); not checked: {len(outcome.unchecked)} "
                            "migration(s), sql/ and the schedules"
                        )
                        return outcome
                    outcome.applied.append(migration.relpath)
                to_apply = plan.repeatable_changed
                if outcome.applied:
                    to_apply = read_repeatables(self.project)
                if to_apply:
                    self._apply_repeatables(to_apply)
                    outcome.reapplied = [f.relpath for f in to_apply]
                    names = ", ".join(f.relpath for f in to_apply) if len(to_apply) <= 3 else f"{len(to_apply)} files"
                    self.say(f"applied {names} from sql/")
                outcome.schedules = self._sync_schedules(dry_run)
        return outcome

    def _sync_schedules(self, dry_run: bool) -> SyncReport:
        """Put the jobs sql/cron declares into pg_cron, wherever it lives (see runner.schedules)."""
        try:
            return schedules.sync(self.conn, dry_run=dry_run, cron_database=self.cron_database)
        except psycopg.Error as problem:
            raise SessionkeeperError(f"scheduling the pg_cron jobs: {db.first_line(problem)}") from None

    @contextmanager
    def _as_owner(self) -> Iterator[None]:
        """Run the body as the owner role once migration 0007 gave it the schema (inside the current transaction).

        Objects created from then on belong to it, not to the (often superuser) login running migrate.
        The role is cluster-wide, so its existence alone says nothing about this database.
        When the body fails, the transaction or savepoint it is in rolls the SET LOCAL back; when it succeeds the
        role is reset at once, since in a dry run that transaction is a savepoint and SET LOCAL would outlive it.
        """
        row = self.conn.execute(
            "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = 'scheduling' AND nspowner = to_regrole(%s))",
            (OWNER_ROLE,),
        ).fetchone()
        acting = bool(row and row[0])
        if acting:
            self.conn.execute(f"SET LOCAL ROLE {OWNER_ROLE}")
        yield
        if acting:
            self.conn.execute("RESET ROLE")

    def _apply_migration(self, migration: Migration, *, dry_run: bool = False) -> None:
        started = time.monotonic()
        try:
            with self.conn.transaction():
                self.conn.execute(
                    f"INSERT INTO {LEDGER_SCHEMA}.migrations (version, filename, checksum) VALUES (%s, %s, %s)",
                    (migration.version, migration.relpath, migration.checksum),
                )
                with self._as_owner():
                    self.conn.execute(migration.sql)
        except psycopg.Error as problem:
            if dry_run and problem.sqlstate == UNSAFE_NEW_ENUM_VALUE:
                raise NeedsCommittedEnumValue(migration.relpath) from None
            raise migration_error(migration, problem) from None
        self.say(f"applied {migration.relpath} ({(time.monotonic() - started) * 1000:.0f} ms)")

    def _apply_repeatables(self, files: list[SqlFile]) -> None:
        try:
            with self.conn.transaction():
                remaining = list(files)
                while remaining:
                    deferred: list[tuple[SqlFile, psycopg.Error]] = []
                    for sql_file in remaining:
                        try:
                            with self.conn.transaction(), self._as_owner():
                                self.conn.execute(sql_file.sql)
                        except MISSING_DEPENDENCY as problem:
                            deferred.append((sql_file, problem))
                            continue
                        except psycopg.Error as problem:
                            raise migration_error(sql_file, problem) from None
                        self.conn.execute(
                            f"INSERT INTO {LEDGER_SCHEMA}.repeatables (path, checksum) VALUES (%s, %s) "
                            "ON CONFLICT (path) DO UPDATE SET checksum = excluded.checksum, applied_at = "
                            "clock_timestamp()",
                            (sql_file.relpath, sql_file.checksum),
                        )
                    if len(deferred) == len(remaining):
                        raise migration_error(*deferred[0])
                    remaining = [sql_file for sql_file, _ in deferred]
        except psycopg.Error as problem:
            raise SessionkeeperError(f"applying sql/: {problem}") from None


def migrate_and_report(url: str, project_dir: Path, *, dry_run: bool = False, say: Callable[[str], None] = print):
    """Migrate the database at ``url`` and tell ``say`` what became of the schedules, or that nothing changed."""
    with db.connect(url, autocommit=True) as conn:
        outcome = Migrator(conn, project_dir, say=say).run(dry_run=dry_run)
    if outcome.schedules is not None:
        for line in schedules.describe(outcome.schedules):
            say(line)
    if not outcome.changed_anything:
        say("nothing to do: the database is up to date")
    return outcome
