"""sessionkeeper's pg_cron jobs, put where pg_cron lives.

The files of sql/cron declare jobs in the application database (table ``sessionkeeper_meta.cron_jobs``). This
module finds pg_cron and brings it in line with those declarations:

* pg_cron lives in the application database itself: ``cron.schedule`` there, job names as declared
  (``sessionkeeper-tick``).
* pg_cron lives in another database of the same server (``cron.database_name``, usually ``postgres``): a second
  connection to that database calls ``cron.schedule_in_database`` (pg_cron 1.4+), with names suffixed by the
  application database (``sessionkeeper-tick@appdb``) so that several application databases can share one pg_cron.

A pg_cron job runs as the login that scheduled it; every command starts with ``SET ROLE sessionkeeper_cron`` so it
holds only that role's rights. A superuser keeps whichever login already owns a job; any other login schedules as
itself and must be a member of sessionkeeper_cron. What only a superuser can grant is not attempted: it is returned
as exact SQL (``Fix``) for the caller to print.

One job is not declared but built here: the cron-history job (``sessionkeeper-cron-history``, hourly) deletes
pg_cron's run rows (cron.job_run_details) of this application database's jobs older than the retention age
(scheduling.retention_settings, default 7 days). Those rows live in pg_cron's database, and pg_cron lets a login
that is not a superuser delete only the run rows of its own jobs (it grants DELETE to everyone, under the
row-level security policy ``username = current_user``). The job therefore runs in pg_cron's database as the
scheduling login itself, not as sessionkeeper_cron (which owns no job, so would see no row), and its command is a
fixed DELETE written here, the age its only variable, never text read from a table. The age is copied into the
command when migrate syncs: a changed age reaches pg_cron at the next migrate (doctor shows the difference).

Where pg_cron lives: $SESSIONKEEPER_CRON_DATABASE when set ("none" turns scheduling off); else
``cron.database_name`` when this login may read it; else this database when pg_cron is created in it; else
``postgres`` when pg_cron is created there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
from psycopg.conninfo import make_conninfo

from runner.db import first_line, quote_ident

ENV_CRON_DATABASE = "SESSIONKEEPER_CRON_DATABASE"
SCHEDULING_OFF = "none"
JOB_ROLE = "sessionkeeper_cron"
JOB_PREFIX = "sessionkeeper-"
SCHEDULE_IN_DATABASE = "cron.schedule_in_database(text,text,text,text,text,boolean)"
DECLARATIONS = "sessionkeeper_meta.cron_jobs"
NO_SCHEDULER_HINT = "tick with `sessionkeeper tick --loop` or the systemd tick timer instead"
HISTORY_JOB = "sessionkeeper-cron-history"
HISTORY_SCHEDULE = "40 * * * *"
HISTORY_BATCH = 10000  # run rows one history run deletes at most: a short delete, far more than an hour adds
RETENTION_SETTINGS = "scheduling.retention_settings"


@dataclass(frozen=True)
class Fix:
    """SQL that a superuser runs once, in ``database``, before migrate can finish the schedules."""

    database: str
    statements: tuple[str, ...]

    def lines(self) -> list[str]:
        return [f"as a superuser, in database {self.database}:", *(f"    {s}" for s in self.statements)]


@dataclass
class CronPlace:
    """Where pg_cron is for one application database, and whether this login can schedule there."""

    app_database: str
    login: str
    superuser: bool
    cron_database: str | None = None
    version: str | None = None
    off: bool = False  # scheduling switched off by the operator
    problem: str | None = None  # why the jobs cannot be managed from here (one line)
    fixes: list[Fix] = field(default_factory=list)

    @property
    def local(self) -> bool:
        return self.cron_database == self.app_database

    @property
    def usable(self) -> bool:
        return not self.off and self.problem is None and self.cron_database is not None

    def job_name(self, declared: str) -> str:
        return declared if self.local else f"{declared}@{self.app_database}"

    def owns_name(self, name: str) -> bool:
        """Is this pg_cron job name one of this application database's?"""
        if not name.startswith(JOB_PREFIX):
            return False
        return "@" not in name if self.local else name.endswith(f"@{self.app_database}")


@dataclass(frozen=True)
class DeclaredJob:
    jobname: str
    schedule: str
    command: str
    scheduled_as: str | None
    cron_database: str | None
    in_cron_database: bool = False  # the cron-history job: runs in pg_cron's database as the scheduling login

    @property
    def pg_cron_command(self) -> str:
        return self.command if self.in_cron_database else f"SET ROLE {JOB_ROLE}; {self.command}"


@dataclass(frozen=True)
class PgCronJob:
    jobid: int
    jobname: str
    schedule: str
    command: str
    username: str
    active: bool


@dataclass
class SyncReport:
    """What a sync did (or, in a dry run, would do)."""

    place: CronPlace
    scheduled: list[str] = field(default_factory=list)  # created or changed
    unscheduled: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problem: str | None = None
    fixes: list[Fix] = field(default_factory=list)
    dry_run: bool = False

    @property
    def changed_anything(self) -> bool:
        return bool(self.scheduled or self.unscheduled)


def wanted_cron_database(explicit: str | None = None) -> str | None:
    """The operator's choice: ``explicit``, else $SESSIONKEEPER_CRON_DATABASE; None means find it."""
    value = (explicit if explicit is not None else os.environ.get(ENV_CRON_DATABASE) or "").strip()
    return value or None


def _one(conn: psycopg.Connection, query: str, params: tuple = ()) -> object:
    row = conn.execute(query, params).fetchone()
    return row[0] if row else None


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def extension_version(conn: psycopg.Connection) -> str | None:
    return _one(conn, "SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pg_cron'")  # type: ignore[return-value]


def _visible_setting(conn: psycopg.Connection, name: str) -> str | None:
    """A server setting, or None where this login may not read it (pg_settings hides it then)."""
    return _one(conn, "SELECT setting FROM pg_catalog.pg_settings WHERE name = %s", (name,))  # type: ignore[return-value]


@contextmanager
def connect_to(conn: psycopg.Connection, dbname: str) -> Iterator[psycopg.Connection]:
    """The same server and login as ``conn``, another database."""
    conninfo = make_conninfo(conn.info.dsn, password=conn.info.password, dbname=dbname)
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as other:
        yield other


@contextmanager
def cron_connection(conn: psycopg.Connection, place: CronPlace) -> Iterator[psycopg.Connection]:
    """A connection to pg_cron's database: ``conn`` itself when pg_cron lives in the application database."""
    if place.local:
        yield conn
        return
    with connect_to(conn, place.cron_database or "postgres") as other:
        yield other


def locate(conn: psycopg.Connection, *, create: bool = False, cron_database: str | None = None) -> CronPlace:
    """Find pg_cron for the database ``conn`` is in, and check that this login can schedule there.

    With ``create``, pg_cron is created where it is missing and this login may do it, and the login is made a
    member of sessionkeeper_cron where it may grant that (both are what migrate wants; look-ups pass False).
    ``cron_database`` overrides $SESSIONKEEPER_CRON_DATABASE.
    """
    place = CronPlace(
        app_database=conn.info.dbname,
        login=str(_one(conn, "SELECT current_user")),
        superuser=bool(_one(conn, "SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user")),
    )
    wanted = wanted_cron_database(cron_database)
    if wanted == SCHEDULING_OFF:
        place.off = True
        place.problem = f"scheduling is switched off ({ENV_CRON_DATABASE}={SCHEDULING_OFF})"
        return place
    if _one(conn, "SELECT count(*) FROM pg_catalog.pg_available_extensions WHERE name = 'pg_cron'") == 0:
        place.problem = "pg_cron is not installed on this server (Debian: apt-get install postgresql-15-cron)"
        return place
    preload = _visible_setting(conn, "shared_preload_libraries")
    if preload is not None and "pg_cron" not in [part.strip() for part in preload.split(",")]:
        place.problem = (
            "pg_cron is not in shared_preload_libraries: add it in postgresql.conf "
            "(shared_preload_libraries = 'pg_cron') and restart PostgreSQL"
        )
        return place
    place.cron_database = wanted or _visible_setting(conn, "cron.database_name")
    if place.cron_database is None:
        place.cron_database = _guess_cron_database(conn, place.app_database)
        if place.cron_database is None:
            place.problem = (
                "pg_cron is created neither in this database nor in `postgres`, and this login may not read "
                f"cron.database_name: set {ENV_CRON_DATABASE} to pg_cron's database"
            )
            return place
    if place.local:
        _check_cron_database(conn, place, create=create)
    else:
        may_connect = _one(
            conn,
            "SELECT has_database_privilege(datname, 'CONNECT') FROM pg_catalog.pg_database WHERE datname = %s",
            (place.cron_database,),
        )
        if may_connect is None:
            place.problem = f"pg_cron's database {place.cron_database} does not exist on this server"
            return place
        if not may_connect:
            place.problem = f"login {place.login} may not connect to pg_cron's database {place.cron_database}"
            grant = f"GRANT CONNECT ON DATABASE {quote_ident(place.cron_database)} TO {quote_ident(place.login)};"
            place.fixes.append(Fix(place.cron_database, (grant,)))
            return place
        try:
            with connect_to(conn, place.cron_database) as cron:
                _check_cron_database(cron, place, create=create)
        except psycopg.OperationalError as problem:
            place.problem = f"cannot connect to pg_cron's database {place.cron_database}: {first_line(problem)}"
            return place
    if place.problem is None or place.fixes:
        # Every grant a superuser must give, in one go, not one per migrate run.
        _check_job_role(conn, place, create=create)
    return place


def _guess_cron_database(conn: psycopg.Connection, app_database: str) -> str | None:
    if extension_version(conn):
        return app_database
    if app_database == "postgres":
        return None
    try:
        with connect_to(conn, "postgres") as other:
            return "postgres" if extension_version(other) else None
    except psycopg.Error:
        return None


def _check_cron_database(cron: psycopg.Connection, place: CronPlace, *, create: bool) -> None:
    """pg_cron created in its database, new enough, and usable by this login."""
    database = place.cron_database or ""
    place.version = extension_version(cron)
    if place.version is None and create:
        try:
            with cron.transaction():
                cron.execute("CREATE EXTENSION IF NOT EXISTS pg_cron")
            place.version = extension_version(cron)
        except psycopg.Error as problem:
            if not place.superuser and problem.sqlstate == "42501":
                pass  # reported below, with the SQL a superuser runs
            else:
                place.problem = f"pg_cron cannot be created in database {database}: {first_line(problem)}"
                return
    if place.version is None:
        place.problem = f"pg_cron is not created in database {database}"
        place.fixes.append(Fix(database, ("CREATE EXTENSION pg_cron;",)))
        return
    grants = []
    if not _one(cron, "SELECT has_schema_privilege('cron', 'USAGE')"):
        grants.append(f"GRANT USAGE ON SCHEMA cron TO {quote_ident(place.login)};")
    if not place.local:
        # Looked up in pg_proc: a name lookup through schema cron fails outright without USAGE on it.
        function = _one(
            cron,
            "SELECT p.oid FROM pg_catalog.pg_proc AS p JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'cron' AND p.proname = 'schedule_in_database'",
        )
        if function is None:
            place.problem = (
                f"pg_cron {place.version} in database {database} cannot schedule jobs in other databases "
                "(that needs pg_cron 1.4 or later)"
            )
            place.fixes.append(Fix(database, ("ALTER EXTENSION pg_cron UPDATE;",)))
            return
        if not _one(cron, "SELECT has_function_privilege(%s::oid, 'EXECUTE')", (function,)):
            grants.append(f"GRANT EXECUTE ON FUNCTION {SCHEDULE_IN_DATABASE} TO {quote_ident(place.login)};")
    if grants:
        place.problem = f"login {place.login} may not schedule pg_cron jobs in database {database}"
        place.fixes.append(Fix(database, tuple(grants)))


def _check_job_role(conn: psycopg.Connection, place: CronPlace, *, create: bool) -> None:
    """Jobs run as the login that schedules them, then SET ROLE sessionkeeper_cron: it must be a member."""
    if place.superuser or _one(conn, "SELECT to_regrole(%s)", (JOB_ROLE,)) is None:
        return  # superusers may SET ROLE to anything; without the role (before migration 0007) there is nothing yet
    if _one(conn, "SELECT pg_has_role(current_user, %s, 'MEMBER')", (JOB_ROLE,)):
        return
    grant = f"GRANT {JOB_ROLE} TO {quote_ident(place.login)};"
    if create:
        try:
            with conn.transaction():
                conn.execute(grant)
            return
        except psycopg.Error:
            pass
    place.problem = place.problem or f"login {place.login} is not a member of {JOB_ROLE}, which every job switches to"
    place.fixes.append(Fix(place.app_database, (grant,)))


def read_declared(conn: psycopg.Connection) -> list[DeclaredJob]:
    if _one(conn, "SELECT to_regclass(%s)", (DECLARATIONS,)) is None:
        return []
    rows = conn.execute(
        f"SELECT jobname, schedule, command, scheduled_as, cron_database FROM {DECLARATIONS} ORDER BY jobname"
    ).fetchall()
    return [DeclaredJob(*row) for row in rows]


def retention_age(conn: psycopg.Connection) -> str | None:
    """The retention age as PostgreSQL writes it ('7 days'); None before migration 0027 or when this login may not
    read it."""
    if _one(conn, "SELECT to_regclass(%s)", (RETENTION_SETTINGS,)) is None:
        return None
    if not _one(conn, "SELECT has_table_privilege(%s, 'SELECT')", (RETENTION_SETTINGS,)):
        return None
    return _one(conn, f"SELECT older_than::text FROM {RETENTION_SETTINGS} WHERE singleton")  # type: ignore[return-value]


def history_job(place: CronPlace, age: str) -> DeclaredJob:
    """The cron-history job: deletes the run rows of this application database's jobs (the history job's own
    included) that ended, or started when they have no end, more than ``age`` ago, oldest first, at most
    HISTORY_BATCH per run. Rows with neither time (pg_cron could not start the run) are kept."""
    suffix = (
        "strpos(j.jobname, '@') = 0"
        if place.local
        else (f"substr(j.jobname, strpos(j.jobname, '@')) = {_literal('@' + place.app_database)}")
    )
    command = (
        "DELETE FROM cron.job_run_details WHERE runid IN (SELECT d.runid FROM cron.job_run_details AS d "
        f"JOIN cron.job AS j ON j.jobid = d.jobid WHERE j.jobname LIKE '{JOB_PREFIX}%' AND {suffix} "
        f"AND coalesce(d.end_time, d.start_time) < now() - interval {_literal(age)} "
        f"ORDER BY d.runid LIMIT {HISTORY_BATCH})"
    )
    return DeclaredJob(HISTORY_JOB, HISTORY_SCHEDULE, command, None, place.cron_database, in_cron_database=True)


def wanted_jobs(conn: psycopg.Connection, place: CronPlace) -> list[DeclaredJob]:
    """The declared jobs and, once the retention age is readable, the cron-history job."""
    age = retention_age(conn)
    return read_declared(conn) + ([history_job(place, age)] if age else [])


def read_pg_cron_jobs(cron: psycopg.Connection, place: CronPlace) -> list[PgCronJob]:
    """This application database's jobs in pg_cron, as far as this login may see them (its own, or all for a
    superuser): those that run in it, and the cron-history job, which runs in pg_cron's database."""
    rows = cron.execute(
        "SELECT jobid, jobname, schedule, command, username, active FROM cron.job WHERE database = %s "
        "OR (database = %s AND jobname = %s) ORDER BY jobname, username",
        (place.app_database, place.cron_database, place.job_name(HISTORY_JOB)),
    ).fetchall()
    return [PgCronJob(*row) for row in rows if row[1] and place.owns_name(row[1])]


def last_runs(cron: psycopg.Connection, jobids: list[int]) -> dict[int, tuple]:
    """jobid -> (status, start_time, return_message) of each job's latest run (cron.job_run_details).

    Latest by runid: a run pg_cron could not even connect for has no start_time.
    """
    rows = cron.execute(
        "SELECT DISTINCT ON (jobid) jobid, status, start_time, return_message FROM cron.job_run_details "
        "WHERE jobid = ANY(%s) ORDER BY jobid, runid DESC",
        (jobids,),
    ).fetchall()
    return {jobid: rest for jobid, *rest in rows}


def job_reports(jobs: list[PgCronJob], runs: dict[int, tuple]) -> list[dict]:
    """Each job with its latest run (last_runs), as `cron list --json` and the health check hand them on."""
    reports = []
    for job in jobs:
        status, started, message = runs.get(job.jobid, (None, None, None))
        reports.append(
            {
                "jobname": job.jobname,
                "jobid": job.jobid,
                "schedule": job.schedule,
                "active": job.active,
                "username": job.username,
                "last_status": status,
                "last_start": started,
                "last_message": message,
            }
        )
    return reports


def sync(conn: psycopg.Connection, *, dry_run: bool = False, cron_database: str | None = None) -> SyncReport:
    """Bring pg_cron in line with the declared jobs: schedule what is missing or changed, unschedule what is no
    longer declared. A dry run reports and changes nothing."""
    place = locate(conn, create=not dry_run, cron_database=cron_database)
    report = SyncReport(place=place, dry_run=dry_run)
    if not place.usable:
        report.problem, report.fixes = place.problem, list(place.fixes)
        return report
    declared = wanted_jobs(conn, place)
    with cron_connection(conn, place) as cron:
        present: dict[str, list[PgCronJob]] = {}
        for job in read_pg_cron_jobs(cron, place):
            present.setdefault(job.jobname, []).append(job)
        recorded = []
        foreign_owner = []
        for job in declared:
            name = place.job_name(job.jobname)
            copies = present.pop(name, [])
            mine = next((c for c in copies if c.username == place.login), None)
            current = mine or (copies[0] if copies and place.superuser else None)
            if current is None and _owned_elsewhere(job, place):
                foreign_owner.append(job)
                continue
            owner = current.username if current else place.login
            if current and current.schedule == job.schedule and current.command == job.pg_cron_command:
                report.unchanged.append(name)
                jobid = current.jobid
            else:
                report.scheduled.append(name)
                jobid = None if dry_run else _schedule(cron, place, name, job, owner)
            if not job.in_cron_database:  # the cron-history job has no declaration to record in
                recorded.append((owner, jobid, job.jobname))
        for leftovers in present.values():
            for job in leftovers:
                report.unscheduled.append(job.jobname)
                if not dry_run:
                    cron.execute("SELECT cron.unschedule(%s::bigint)", (job.jobid,))
    if recorded and not dry_run:
        with conn.transaction():
            for owner, jobid, jobname in recorded:
                conn.execute(
                    f"UPDATE {DECLARATIONS} SET scheduled_as = %s, cron_database = %s, cron_jobid = %s, "
                    "synced_at = clock_timestamp() WHERE jobname = %s",
                    (owner, place.cron_database, jobid, jobname),
                )
    if foreign_owner:
        owners = sorted({job.scheduled_as or "" for job in foreign_owner})
        report.problem = (
            f"{len(foreign_owner)} job(s) belong to login {', '.join(owners)}, and pg_cron lets only a superuser "
            f"change another login's jobs: run migrate as that login, or hand them to {place.login} once"
        )
        names = ", ".join(_literal(place.job_name(job.jobname)) for job in foreign_owner)
        report.fixes.append(
            Fix(
                place.cron_database or "",
                (
                    f"SELECT cron.alter_job(jobid, username => {_literal(place.login)}) FROM cron.job "
                    f"WHERE database = {_literal(place.app_database)} AND jobname IN ({names});",
                ),
            )
        )
    return report


def _owned_elsewhere(job: DeclaredJob, place: CronPlace) -> bool:
    """A login that is not a superuser sees only its own pg_cron jobs; the declaration remembers who owns it."""
    return (
        not place.superuser
        and job.scheduled_as is not None
        and job.scheduled_as != place.login
        and job.cron_database == place.cron_database
    )


def _schedule(cron: psycopg.Connection, place: CronPlace, name: str, job: DeclaredJob, owner: str) -> int:
    in_cron_database = place.local or job.in_cron_database
    if in_cron_database and owner == place.login:
        row = cron.execute("SELECT cron.schedule(%s, %s, %s)", (name, job.schedule, job.pg_cron_command)).fetchone()
    else:
        username = owner if owner != place.login else None
        database = place.cron_database if job.in_cron_database else place.app_database
        row = cron.execute(
            "SELECT cron.schedule_in_database(%s, %s, %s, %s, %s, true)",
            (name, job.schedule, job.pg_cron_command, database, username),
        ).fetchone()
    return int(row[0])


def describe(report: SyncReport) -> list[str]:
    """The lines migrate prints about the schedules."""
    place = report.place
    where = "this database" if place.local else f"database {place.cron_database}"
    lines = []
    if report.scheduled or report.unscheduled:
        would = "would have " if report.dry_run else ""
        done = []
        if report.scheduled:
            done.append(f"{would}scheduled {', '.join(report.scheduled)}")
        if report.unscheduled:
            done.append(f"{would}unscheduled {', '.join(report.unscheduled)}")
        lines.append(f"pg_cron in {where}: {'; '.join(done)}")
    if place.off:
        lines.append(f"pg_cron left alone ({ENV_CRON_DATABASE}={SCHEDULING_OFF}): {NO_SCHEDULER_HINT}")
    elif report.problem and not report.fixes:
        lines.append(f"warning: no pg_cron schedules: {report.problem}; {NO_SCHEDULER_HINT}")
    elif report.problem:
        lines.append(f"warning: pg_cron schedules not complete: {report.problem}")
        for fix in report.fixes:
            lines.extend("  " + line for line in fix.lines())
        lines.append("  then run `sessionkeeper migrate` again")
    return lines
