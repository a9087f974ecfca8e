"""What a server needs before sessionkeeper can run on it, checked one item at a time.

``run_checks(conn, project)`` looks at the database ``conn`` is connected to and returns one ``Check`` per item:
the server version, the login, pg_cron and its jobs, the group roles and the logins in them, the time-zone data,
the migrations, the clock, and whether tick runs. Every item says what it found and, when something is missing, the
command or SQL that fixes it.

The checks only read. Each runs on its own: a query that fails (a privilege this login lacks, a missing table)
becomes that item's own failing or warning line, and the items after it still run. The connection must be in
autocommit mode, so that a failed query leaves no aborted transaction behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg

from runner import schedules
from runner.db import first_line
from runner.errors import SessionkeeperError
from runner.migrate import GROUP_ROLES, LEDGER_SCHEMA, MINIMUM_SERVER_VERSION, Migrator
from runner.schedules import CronPlace, Fix

OK, WARN, FAIL = "ok", "warn", "fail"
TICK_JOB = "sessionkeeper-tick"
TICK_SILENCE_SECONDS = 180
CLOCK_WARN_SECONDS = 5.0
CLOCK_FAIL_SECONDS = 60.0
MINIMUM_TIME_ZONES = 400
MIGRATE = "sessionkeeper migrate"
PRIVILEGED_LOGIN = "run doctor as a superuser or as a login in sessionkeeper_owner to check this"
NO_PG_CRON = (
    f"{schedules.ENV_CRON_DATABASE}={schedules.SCHEDULING_OFF} and `sessionkeeper tick --loop` "
    "(or the systemd timer sessionkeeper-tick.timer)"
)
# The group roles deployments put their own LOGIN roles in, with the login name the fix suggests.
LOGIN_GROUPS = {
    "app": "sessionkeeper_app",
    "worker": "sessionkeeper_worker",
    "webhook": "sessionkeeper_webhook",
    "cron": schedules.JOB_ROLE,
}


@dataclass(frozen=True)
class Check:
    """One item of the report: its name, ok / warn / fail, what was found, and what fixes it (None: nothing to do)."""

    check: str
    status: str
    detail: str
    fix: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"check": self.check, "status": self.status, "detail": self.detail, "fix": self.fix}


@dataclass
class Context:
    """What the checks share: the connection, the project's SQL files, and what earlier checks found out."""

    conn: psycopg.Connection
    project: Path
    clock: Callable[[], float] = time.time
    place: CronPlace | None = None
    server_version_num: int = 0


def ready(checks: list[Check]) -> bool:
    """Ready means no item failed; warnings do not count against it."""
    return all(check.status != FAIL for check in checks)


def format_line(check: Check) -> str:
    shown = {OK: "ok", WARN: "warn", FAIL: "FAIL"}.get(check.status, check.status)
    line = f"{shown:<5} {check.check:<15} {check.detail}"
    if check.fix:
        line += f" — fix: {check.fix}"
    return line


def render_fixes(fixes: list[Fix]) -> str:
    """pg_cron's fixes as one line: which database each goes to, and its statements."""
    return " then ".join(f"as a superuser in database {fix.database}: {' '.join(fix.statements)}" for fix in fixes)


# ---- small helpers ---------------------------------------------------------------------------------------------
def _one(conn: psycopg.Connection, query: str, params: tuple = ()) -> object:
    row = conn.execute(query, params).fetchone()
    return row[0] if row else None


def _table_exists(conn: psycopg.Connection, schema: str, table: str) -> bool:
    """Looked up in the catalogue, which every login may read (to_regclass fails without USAGE on the schema)."""
    return bool(
        _one(
            conn,
            "SELECT EXISTS (SELECT FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n "
            "ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s)",
            (schema, table),
        )
    )


def _setting(conn: psycopg.Connection, name: str) -> str | None:
    """A server setting, or None when it does not exist or this login may not read it."""
    return _one(conn, "SELECT setting FROM pg_catalog.pg_settings WHERE name = %s", (name,))  # type: ignore[return-value]


def _ago(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def _names(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _join_fixes(fixes: list[str]) -> str | None:
    """Distinct fixes in order, as one line; SQL keeps its own semicolons."""
    text = ""
    for fix in dict.fromkeys(fixes):
        text += ("" if not text else " " if text.endswith(";") else "; ") + fix
    return text or None


def _worst(statuses: list[str]) -> str:
    return FAIL if FAIL in statuses else WARN if WARN in statuses else OK


# ---- the checks ------------------------------------------------------------------------------------------------
def check_postgresql(ctx: Context) -> list[Check]:
    ctx.server_version_num = int(_one(ctx.conn, "SHOW server_version_num"))  # type: ignore[arg-type]
    shown = str(_one(ctx.conn, "SHOW server_version")).split(" ")[0]
    if ctx.server_version_num < MINIMUM_SERVER_VERSION:
        return [
            Check(
                "postgresql",
                FAIL,
                f"PostgreSQL {shown} is too old: sessionkeeper needs PostgreSQL 15 or later",
                "upgrade the server to PostgreSQL 15 or later (pg_upgrade)",
            )
        ]
    return [Check("postgresql", OK, f"PostgreSQL {shown}")]


def check_login(ctx: Context) -> list[Check]:
    user, session_user, superuser, createrole, database = ctx.conn.execute(
        "SELECT current_user, session_user, r.rolsuper, r.rolcreaterole, current_database() "
        "FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user"
    ).fetchone()
    kind = "superuser" if superuser else "CREATEROLE, not a superuser" if createrole else "not a superuser"
    acting = f" (session user {session_user})" if session_user != user else ""
    info = ctx.conn.info
    where = f"{info.host}:{info.port}" if info.host and not info.host.startswith("/") else f"socket {info.host}"
    return [Check("login", OK, f"{user}{acting} ({kind}) in database {database} on {where}")]


def check_btree_gist(ctx: Context) -> list[Check]:
    """The extension behind the rule that a host is in one session at a time (migration 0036 installs it)."""
    installed = ctx.conn.execute(
        "SELECT e.extversion, n.nspname FROM pg_catalog.pg_extension AS e "
        "JOIN pg_catalog.pg_namespace AS n ON n.oid = e.extnamespace WHERE e.extname = 'btree_gist'"
    ).fetchone()
    if installed:
        return [Check("btree_gist", OK, f"btree_gist {installed[0]} in schema {installed[1]}")]
    if _one(ctx.conn, "SELECT count(*) FROM pg_catalog.pg_available_extensions WHERE name = 'btree_gist'"):
        return [Check("btree_gist", OK, f"available; `{MIGRATE}` installs it (it needs CREATE on the database)")]
    return [
        Check(
            "btree_gist",
            FAIL,
            "not available on this server: the rule that a host is in one session at a time needs it",
            "install PostgreSQL's contrib modules (Debian/Ubuntu: part of postgresql-15; RHEL: postgresql15-contrib), "
            f"then `{MIGRATE}`",
        )
    ]


def check_pg_cron(ctx: Context) -> list[Check]:
    conn = ctx.conn
    place = schedules.locate(conn, create=False)
    ctx.place = place
    major = (ctx.server_version_num or int(_one(conn, "SHOW server_version_num"))) // 10000  # type: ignore[arg-type]
    if place.off:
        return [
            Check(
                "pg_cron",
                WARN,
                f"switched off ({schedules.ENV_CRON_DATABASE}={schedules.SCHEDULING_OFF}): something else must tick "
                "(sessionkeeper tick --loop or the systemd tick timer)",
                "run `sessionkeeper tick --loop` or enable sessionkeeper-tick.timer; or, to use pg_cron, unset "
                f"{schedules.ENV_CRON_DATABASE} and run `{MIGRATE}`",
            )
        ]
    if place.usable:
        where = "this database" if place.local else f"database {place.cron_database}"
        named = "" if place.local else f" (jobs named {place.job_name(schedules.JOB_PREFIX + '…')})"
        return [Check("pg_cron", OK, f"pg_cron {place.version} in {where}{named}")]
    available = _one(conn, "SELECT count(*) FROM pg_catalog.pg_available_extensions WHERE name = 'pg_cron'")
    if not available:
        return [
            Check(
                "pg_cron",
                FAIL,
                "not installed on this server; without pg_cron, something else must tick",
                f"install it (Debian/Ubuntu: apt-get install postgresql-{major}-cron), add pg_cron to "
                "shared_preload_libraries in postgresql.conf, restart, then `"
                f"{MIGRATE}`; or do without it: {NO_PG_CRON}",
            )
        ]
    preload = _setting(conn, "shared_preload_libraries")
    if preload is not None and "pg_cron" not in [part.strip() for part in preload.split(",")]:
        return [
            Check(
                "pg_cron",
                FAIL,
                "not in shared_preload_libraries",
                "add pg_cron to shared_preload_libraries in postgresql.conf and restart",
            )
        ]
    fix = render_fixes(place.fixes) if place.fixes else None
    if fix:
        fix += f" then `{MIGRATE}`"
    else:
        fix = f"set {schedules.ENV_CRON_DATABASE} to the database pg_cron lives in; or do without it: {NO_PG_CRON}"
    return [Check("pg_cron", FAIL, place.problem or "not usable from this login", fix)]


def check_cron_workers(ctx: Context) -> list[Check]:
    """How pg_cron runs a job: in a background worker, or over libpq as the job's login (which needs a way in
    without a password)."""
    place = ctx.place
    if place is None or place.off:
        return []
    setting = _setting(ctx.conn, "cron.use_background_workers")
    if setting is None:
        return []  # pg_cron not loaded, or this login may not read its settings
    if setting == "on":
        return [Check("cron workers", OK, "cron.use_background_workers = on: jobs run in background workers")]
    host = _setting(ctx.conn, "cron.host") or "localhost"
    port = _setting(ctx.conn, "port") or "5432"
    logins = sorted(_job_owners(ctx)) or [place.login]
    return [
        Check(
            "cron workers",
            WARN,
            f"cron.use_background_workers = off: pg_cron connects over libpq to cron.host ({host}) as each job's "
            f"login ({', '.join(logins)}), which needs a password-less route",
            f"trust for host {host} and that login in pg_hba.conf, or a .pgpass for the server's account "
            f"({host}:{port}:*:{logins[0]}:<password>); or cron.use_background_workers = on in postgresql.conf "
            "and restart",
        )
    ]


def _job_owners(ctx: Context) -> set[str]:
    """The logins pg_cron runs this database's jobs as, as recorded when migrate scheduled them."""
    if not _table_exists(ctx.conn, LEDGER_SCHEMA, "cron_jobs"):
        return set()
    try:
        return {job.scheduled_as for job in schedules.read_declared(ctx.conn) if job.scheduled_as}
    except psycopg.Error:
        return set()


def check_schedules(ctx: Context) -> list[Check]:
    conn, place = ctx.conn, ctx.place
    if not _table_exists(conn, LEDGER_SCHEMA, "cron_jobs"):
        return [Check("schedules", FAIL, "not migrated yet: no jobs are declared", MIGRATE)]
    declared = schedules.read_declared(conn)
    if place is not None and place.off:
        return [Check("schedules", OK, f"{len(declared)} job(s) declared; not compared: scheduling is switched off")]
    if place is None or not place.usable:
        return [
            Check(
                "schedules",
                FAIL,
                f"{len(declared)} job(s) declared, none can be compared: pg_cron is not usable from here",
                "see the pg_cron line",
            )
        ]
    declared = schedules.wanted_jobs(conn, place)
    with schedules.cron_connection(conn, place) as cron:
        present: dict[str, list[schedules.PgCronJob]] = {}
        for job in schedules.read_pg_cron_jobs(cron, place):
            present.setdefault(job.jobname, []).append(job)
        found: list[tuple[schedules.DeclaredJob, schedules.PgCronJob]] = []
        missing, different, unseen = [], [], []
        for job in declared:
            name = place.job_name(job.jobname)
            copies = present.pop(name, [])
            if not copies:
                if (
                    not place.superuser
                    and job.scheduled_as
                    and job.scheduled_as != place.login
                    and job.cron_database == place.cron_database
                ):
                    unseen.append(f"{name} (owned by {job.scheduled_as})")
                else:
                    missing.append(name)
                continue
            current = next((c for c in copies if c.username == job.scheduled_as), None)
            current = current or next((c for c in copies if c.username == place.login), copies[0])
            if current.schedule != job.schedule:
                different.append(f"{name} (schedule {current.schedule!r} in pg_cron, {job.schedule!r} declared)")
            elif current.command != job.pg_cron_command:
                different.append(f"{name} (command differs from the declared one)")
            found.append((job, current))
        runs = schedules.last_runs(cron, [current.jobid for _, current in found]) if found else {}
    extra = sorted(present)
    cron_where = "this database" if place.local else f"database {place.cron_database}"
    parts: list[tuple[str, str, str | None]] = []
    if missing:
        parts.append((FAIL, f"missing in pg_cron: {_names(missing)}", MIGRATE))
    if different:
        parts.append((FAIL, f"different from the declaration: {_names(different)}", MIGRATE))
    paused = [current for _, current in found if not current.active]
    if paused:
        parts.append(
            (
                WARN,
                f"paused: {_names([job.jobname for job in paused])}",
                f"in database {place.cron_database}: "
                + " ".join(f"SELECT cron.alter_job({job.jobid}, active => true);" for job in paused),
            )
        )
    for _, current in found:
        status, _started, message = runs.get(current.jobid, (None, None, None))
        if status == "failed":
            said = [" ".join(line.split()) for line in (message or "").strip().splitlines()]
            parts.append(
                (
                    WARN,
                    f"last run of {current.jobname} failed: {said[0] if said else 'no message'}",
                    "`sessionkeeper cron list` shows each job's last run",
                )
            )
    if extra:
        parts.append((WARN, f"in pg_cron but no longer declared: {_names(extra)}", MIGRATE))
    if unseen:
        parts.append(
            (
                WARN,
                f"not visible to login {place.login}: {_names(unseen)}",
                "run doctor as that login or as a superuser to compare them",
            )
        )
    runs_said = f"the latest runs of {len(runs)} succeeded" if runs else "none has run yet"
    return _combined(
        "schedules", parts, f"{len(found)} job(s) in pg_cron ({cron_where}) as declared, all active; {runs_said}"
    )


def _combined(name: str, parts: list[tuple[str, str, str | None]], all_well: str) -> list[Check]:
    """One item from its findings (status, detail, fix): ``all_well`` when there are none, else the worst status,
    every detail and every fix."""
    if not parts:
        return [Check(name, OK, all_well)]
    return [
        Check(
            name,
            _worst([status for status, _, _ in parts]),
            "; ".join(detail for _, detail, _ in parts),
            _join_fixes([fix for _, _, fix in parts if fix]),
        )
    ]


def check_roles(ctx: Context) -> list[Check]:
    missing = [
        row[0]
        for row in ctx.conn.execute(
            "SELECT g.name FROM unnest(%s::text[]) WITH ORDINALITY AS g(name, ord) "
            "WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles AS r WHERE r.rolname = g.name) ORDER BY g.ord",
            (list(GROUP_ROLES),),
        ).fetchall()
    ]
    if missing:
        return [
            Check(
                "roles",
                FAIL,
                f"group role(s) missing: {', '.join(missing)}",
                f"{MIGRATE} (as a superuser or a CREATEROLE login)",
            )
        ]
    return [Check("roles", OK, f"the {len(GROUP_ROLES)} group roles exist ({', '.join(GROUP_ROLES)})")]


def _login_members(conn: psycopg.Connection, group: str) -> list[str]:
    """LOGIN roles that are members of ``group``, directly or through other roles."""
    return [
        row[0]
        for row in conn.execute(
            """
            WITH RECURSIVE member_of(roleid) AS (
                SELECT m.member FROM pg_catalog.pg_auth_members AS m WHERE m.roleid = to_regrole(%s)
                UNION
                SELECT m.member FROM pg_catalog.pg_auth_members AS m JOIN member_of AS g ON m.roleid = g.roleid
            )
            SELECT r.rolname FROM member_of AS g JOIN pg_catalog.pg_roles AS r ON r.oid = g.roleid
            WHERE r.rolcanlogin ORDER BY r.rolname
            """,
            (group,),
        ).fetchall()
    ]


def check_logins(ctx: Context) -> list[Check]:
    checks = []
    for short, group in LOGIN_GROUPS.items():
        name = f"logins {short}"
        if _one(ctx.conn, "SELECT to_regrole(%s)", (group,)) is None:
            continue  # the roles item reports it
        members = _login_members(ctx.conn, group)
        if members:
            checks.append(Check(name, OK, f"{group}: {_names(members)}"))
            continue
        if group == schedules.JOB_ROLE:
            owners = _superuser_job_owners(ctx)
            if owners:
                checks.append(
                    Check(
                        name,
                        OK,
                        f"no LOGIN role is in {group}; pg_cron runs the jobs as {', '.join(owners)} "
                        f"(superuser), which switches to {group}",
                    )
                )
                continue
        checks.append(
            Check(
                name,
                WARN,
                f"no LOGIN role is a member of {group}",
                f"as a superuser or a CREATEROLE login: CREATE ROLE sk_{short} LOGIN PASSWORD '…' IN ROLE {group};",
            )
        )
    return checks


def _superuser_job_owners(ctx: Context) -> list[str]:
    place = ctx.place
    if place is None or not place.usable:
        return []
    owners = sorted(_job_owners(ctx))
    if not owners:
        return []
    supers = {
        row[0]
        for row in ctx.conn.execute(
            "SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = ANY(%s) AND rolsuper", (owners,)
        ).fetchall()
    }
    return owners if supers == set(owners) else []


def check_time_zones(ctx: Context) -> list[Check]:
    conn = ctx.conn
    names = int(_one(conn, "SELECT count(*) FROM pg_catalog.pg_timezone_names"))  # type: ignore[arg-type]
    fix = "install the server's time-zone data (Debian/Ubuntu: apt-get install tzdata) and restart PostgreSQL"
    if names <= MINIMUM_TIME_ZONES:
        return [Check("time zones", FAIL, f"PostgreSQL knows only {names} time-zone names", fix)]
    # Berlin goes from +01 to +02 at 02:00 on 2026-03-29: noon is 10:00 UTC, and 02:30, which does not exist
    # that day, is read as standard time (01:30 UTC).
    noon, gap = conn.execute(
        "SELECT to_char(('2026-03-29 12:00'::timestamp AT TIME ZONE 'Europe/Berlin') AT TIME ZONE 'UTC', "
        "'HH24:MI'), to_char(('2026-03-29 02:30'::timestamp AT TIME ZONE 'Europe/Berlin') AT TIME ZONE 'UTC', "
        "'HH24:MI')"
    ).fetchone()
    if (noon, gap) != ("10:00", "01:30"):
        return [
            Check(
                "time zones",
                FAIL,
                f"Europe/Berlin converts wrongly on 2026-03-29 (12:00 -> {noon} UTC, 02:30 -> {gap} UTC; "
                "expected 10:00 and 01:30): the time-zone data is broken or outdated",
                fix,
            )
        ]
    detail = f"{names} time-zone names, Europe/Berlin's daylight saving time converts correctly"
    if not _table_exists(conn, "scheduling", "time_zones"):
        return [Check("time zones", OK, detail)]
    try:
        known, missing = conn.execute(
            """
            SELECT (SELECT count(*) FROM scheduling.time_zones),
                   (SELECT count(*) FROM pg_catalog.pg_timezone_names AS tzn
                    WHERE tzn.name NOT LIKE 'posix/%%' AND tzn.name NOT IN ('localtime', 'posixrules', 'Factory')
                      AND NOT EXISTS (SELECT FROM scheduling.time_zones AS z WHERE z.name = tzn.name))
            """
        ).fetchone()
    except psycopg.Error as problem:
        return [Check("time zones", OK, f"{detail}; scheduling.time_zones not readable here ({first_line(problem)})")]
    refresh = "as sessionkeeper_owner (or a superuser): SELECT scheduling.refresh_time_zones();"
    if known == 0:
        return [Check("time zones", FAIL, f"{detail}; but scheduling.time_zones is empty", refresh)]
    if missing:
        return [
            Check(
                "time zones",
                WARN,
                f"{detail}; scheduling.time_zones lacks {missing} of them (time-zone data upgraded since?)",
                refresh,
            )
        ]
    return [Check("time zones", OK, f"{detail}; scheduling.time_zones holds {known}")]


def check_migrations(ctx: Context) -> list[Check]:
    migrator = Migrator(ctx.conn, ctx.project, say=lambda line: None)
    if not _table_exists(ctx.conn, LEDGER_SCHEMA, "migrations"):
        return [Check("migrations", FAIL, "not migrated: this database has no migration ledger", MIGRATE)]
    plan = migrator.plan()
    parts: list[tuple[str, str, str | None]] = []
    if plan.edited:
        parts.append(
            (
                FAIL,
                f"edited after they were applied: {_names([m.relpath for m in plan.edited])}",
                "put the applied version of the file back and add a new migration for the change",
            )
        )
    if plan.out_of_order:
        parts.append(
            (
                FAIL,
                f"numbered below an applied migration: {_names([m.relpath for m in plan.out_of_order])}",
                "give each the next free number",
            )
        )
    if plan.pending:
        parts.append((FAIL, f"{len(plan.pending)} pending: {_names([m.relpath for m in plan.pending], 3)}", MIGRATE))
    if plan.missing:
        parts.append(
            (
                WARN,
                f"applied but not in this installation: {_names(plan.missing, 3)} (is this sessionkeeper older "
                "than the database?)",
                "upgrade sessionkeeper",
            )
        )
    if plan.repeatable_changed:
        parts.append(
            (
                WARN,
                f"{len(plan.repeatable_changed)} SQL object file(s) changed since the last migrate: "
                f"{_names([f.relpath for f in plan.repeatable_changed], 3)}",
                MIGRATE,
            )
        )
    latest = plan.applied[max(plan.applied)][0] if plan.applied else "none"
    return _combined(
        "migrations",
        parts,
        f"{len(plan.applied)} applied (latest {latest.removeprefix('migrations/')}), "
        f"{len(plan.repeatable_current)} SQL object files current",
    )


def check_clock(ctx: Context) -> list[Check]:
    before = ctx.clock()
    server, zone = ctx.conn.execute(
        "SELECT extract(epoch FROM clock_timestamp())::float8, current_setting('TimeZone')"
    ).fetchone()
    after = ctx.clock()
    skew = float(server) - (before + after) / 2
    said = f"{abs(skew):.1f} s {'ahead of' if skew > 0 else 'behind'} this machine"
    zone_said = f"server TimeZone {zone}"
    fix = "synchronise both clocks with NTP (e.g. timedatectl set-ntp true, or chrony)"
    if abs(skew) > CLOCK_FAIL_SECONDS:
        return [Check("clock", FAIL, f"server clock {said} (reminders go out by the server's clock); {zone_said}", fix)]
    if abs(skew) > CLOCK_WARN_SECONDS:
        return [Check("clock", WARN, f"server clock {said} (reminders go out by the server's clock); {zone_said}", fix)]
    return [Check("clock", OK, f"server clock agrees with this machine ({skew:+.1f} s); {zone_said}")]


def check_tick(ctx: Context) -> list[Check]:
    conn, place = ctx.conn, ctx.place
    if not _table_exists(conn, "scheduling", "tick_state"):
        return []  # not migrated: the migrations item says so
    last_run, age = conn.execute(
        "SELECT last_run_at, extract(epoch FROM now() - last_run_at)::float8 FROM scheduling.tick_state WHERE singleton"
    ).fetchone() or (None, None)
    by_pg_cron = place is not None and place.usable
    if age is not None and age <= TICK_SILENCE_SECONDS:
        return [Check("tick", OK, f"tick last ran {_ago(max(age, 0))} ago")]
    if by_pg_cron:
        scheduled_age = None
        if _table_exists(conn, LEDGER_SCHEMA, "cron_jobs"):
            scheduled_age = _one(
                conn,
                f"SELECT extract(epoch FROM now() - synced_at)::float8 FROM {LEDGER_SCHEMA}.cron_jobs "
                "WHERE jobname = %s",
                (TICK_JOB,),
            )
        if scheduled_age is not None and scheduled_age <= TICK_SILENCE_SECONDS:
            return [Check("tick", OK, f"tick not run yet since pg_cron got its job {_ago(max(scheduled_age, 0))} ago")]
        silence = "has never run" if last_run is None else f"has not run for {_ago(age)}"
        return [
            Check(
                "tick",
                WARN,
                f"pg_cron's tick {silence}: sessions do not change status on their own",
                "check `sessionkeeper cron list`",
            )
        ]
    silence = "has never run" if last_run is None else f"last ran {_ago(age)} ago"
    loop = "run `sessionkeeper tick --loop` or enable sessionkeeper-tick.timer"
    if place is not None and place.off:
        return [
            Check(
                "tick",
                WARN,
                f"tick {silence}, and pg_cron is switched off: sessions do not change status on their own",
                loop,
            )
        ]
    return [
        Check(
            "tick",
            WARN,
            f"tick {silence}: sessions do not change status on their own",
            f"see the pg_cron line; or {loop}",
        )
    ]


# The items in the order they are reported, each with the status it gets when it cannot be checked at all.
CHECKS: list[tuple[str, Callable[[Context], list[Check]], str]] = [
    ("postgresql", check_postgresql, FAIL),
    ("login", check_login, WARN),
    ("btree_gist", check_btree_gist, FAIL),
    ("pg_cron", check_pg_cron, FAIL),
    ("cron workers", check_cron_workers, WARN),
    ("schedules", check_schedules, FAIL),
    ("roles", check_roles, FAIL),
    ("logins", check_logins, WARN),
    ("time zones", check_time_zones, FAIL),
    ("migrations", check_migrations, FAIL),
    ("clock", check_clock, WARN),
    ("tick", check_tick, WARN),
]


def run_checks(conn: psycopg.Connection, project: Path, *, clock: Callable[[], float] = time.time) -> list[Check]:
    """Every item, in order. A check that raises becomes one line with the error's first line."""
    if not conn.autocommit:
        raise ValueError("doctor needs an autocommit connection, so that one failed query cannot stop the others")
    ctx = Context(conn=conn, project=project, clock=clock)
    results: list[Check] = []
    for name, check, when_broken in CHECKS:
        try:
            results.extend(check(ctx))
        except psycopg.Error as problem:
            fix = PRIVILEGED_LOGIN if problem.sqlstate == "42501" else None
            results.append(Check(name, when_broken, f"could not check: {first_line(problem)}", fix))
        except SessionkeeperError as problem:
            results.append(Check(name, when_broken, f"could not check: {first_line(problem)}"))
        except Exception as problem:
            # Whatever else goes wrong in one item is reported as that item, so the others still run.
            said = f"could not check: {type(problem).__name__}: {first_line(problem)}"
            results.append(Check(name, when_broken, said))
    return results
