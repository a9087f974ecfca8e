"""The `sessionkeeper` command line: the operator's way into the database the rules live in."""

from __future__ import annotations

import json
import os
import sys

import click
import psycopg

from runner import config, db, jsonout, loops, schedules
from runner.cli_preview import echo_preview
from runner.constants import WORKER_BATCH_SIZE, WORKER_LANES, WORKER_LEASE_SECONDS
from runner.errors import NotRunning, SessionkeeperError
from runner.listen_options import listen_options
from runner.migrate import Migrator, migrate_and_report
from runner.timeparse import FORMS_HELP, TIME

DATABASE_OPTIONS_HELP = (
    "Without SESSIONKEEPER_DATABASE_URL (or DATABASE_URL), commands use the embedded database in "
    "./.pgdata; with it, they use that server and never start one."
)


class FriendlyGroup(click.Group):
    """Turns expected failures into one line on stderr and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SessionkeeperError as problem:
            click.echo(f"error: {problem}", err=True)
            sys.exit(problem.exit_code)
        except psycopg.OperationalError as problem:
            click.echo(f"error: lost the database: {db.first_line(problem)}", err=True)
            sys.exit(1)
        except psycopg.Error as problem:
            state = f" [SQLSTATE {problem.sqlstate}]" if problem.sqlstate else ""
            click.echo(f"error: {db.first_line(problem)}{state}", err=True)
            sys.exit(1)


def _mirror_to_environment(variable: str):
    def callback(ctx: click.Context, param: click.Parameter, value: object) -> object:
        if value is not None:
            os.environ[variable] = str(value)
        return value

    return callback


@click.group(
    cls=FriendlyGroup,
    help="sessionkeeper: scheduled sessions kept honest inside PostgreSQL.\n\n" + DATABASE_OPTIONS_HELP,
)
@click.option(
    "--database-url",
    envvar=config.ENV_DATABASE_URL,
    expose_value=False,
    is_eager=True,
    callback=_mirror_to_environment(config.ENV_DATABASE_URL),
    help="Use this PostgreSQL server instead of the embedded one. [env SESSIONKEEPER_DATABASE_URL]",
)
@click.option(
    "--pgdata",
    envvar=config.ENV_PGDATA,
    expose_value=False,
    is_eager=True,
    type=click.Path(file_okay=False),
    callback=_mirror_to_environment(config.ENV_PGDATA),
    help="Data folder of the embedded database (default ./.pgdata). [env SESSIONKEEPER_PGDATA]",
)
@click.option(
    "--port",
    envvar=config.ENV_PORT,
    expose_value=False,
    is_eager=True,
    type=click.IntRange(1024, 65535),
    callback=_mirror_to_environment(config.ENV_PORT),
    help=f"Loopback port of the embedded database (default {config.DEFAULT_PORT}). [env SESSIONKEEPER_PGPORT]",
)
@click.option(
    "--dbname",
    envvar=config.ENV_DBNAME,
    expose_value=False,
    is_eager=True,
    callback=_mirror_to_environment(config.ENV_DBNAME),
    help=f"Database name in the embedded cluster (default {config.DEFAULT_DBNAME}). [env SESSIONKEEPER_DBNAME]",
)
@click.option(
    "--cron-database",
    envvar=schedules.ENV_CRON_DATABASE,
    expose_value=False,
    is_eager=True,
    callback=_mirror_to_environment(schedules.ENV_CRON_DATABASE),
    help="The database pg_cron lives in (default: found on the server); `none` leaves pg_cron alone. "
    "[env SESSIONKEEPER_CRON_DATABASE]",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    envvar="SESSIONKEEPER_LOG_FORMAT",
    expose_value=False,
    is_eager=True,
    callback=_mirror_to_environment("SESSIONKEEPER_LOG_FORMAT"),
    help="How long-running commands log: one line per event, text or JSON. [env SESSIONKEEPER_LOG_FORMAT]",
)
@click.version_option(package_name="sessionkeeper")
def cli() -> None:
    pass


# ---- db --------------------------------------------------------------------------------------
@cli.group(help="Manage the embedded development database (./.pgdata, loopback only, pg_cron preloaded).")
def db_group() -> None:
    if config.external_database_url():
        raise SessionkeeperError(
            "SESSIONKEEPER_DATABASE_URL (or DATABASE_URL) is set: that server is not managed by sessionkeeper"
        )


cli.add_command(db_group, name="db")


@db_group.command(
    "up",
    help="Create (first time) and start the embedded database; harmless when it runs. The line it prints names "
    "the port the server really listens on: a server already running keeps the port it was started with, and the "
    "line says so when that is not the configured one.",
)
@jsonout.option('{"state": "started" | "already running", "data_dir", "port", "database"}')
def db_up(as_json: bool) -> None:
    cluster = db.local_cluster()
    started = db.ensure_local_database(cluster)
    state = "started" if started else "already running"
    if as_json:
        jsonout.echo(_cluster_document(cluster, state=state))
    else:
        click.echo(f"{state}: {cluster.data_dir} on {cluster.address()}, database {cluster.dbname}")


def _cluster_document(cluster, **extra: object) -> dict:
    """Where the embedded database is: its folder, the port it listens on (else the configured one), its database."""
    return {
        **extra,
        "data_dir": str(cluster.data_dir),
        "port": cluster.running_port() or cluster.port,
        "configured_port": cluster.port,
        "database": cluster.dbname,
    }


@db_group.command("down", help="Stop the embedded database (fast shutdown); harmless when it is stopped.")
def db_down() -> None:
    cluster = db.local_cluster()
    click.echo("stopped" if cluster.stop() else "not running")


@db_group.command(
    "status",
    help="Say in one line whether the embedded database runs (exit 0) or not (exit 3). While it runs, the line names "
    "the port it really listens on (from its postmaster.pid), noting when that differs from the configured port.",
)
@jsonout.option('{"running": bool, "pid", "data_dir", "port", "configured_port", "database"}; exit 3 when not running')
def db_status(as_json: bool) -> None:
    cluster = db.local_cluster()
    try:
        pid = cluster.require_running()
    except NotRunning:
        if as_json:
            jsonout.echo(_cluster_document(cluster, running=False, pid=None))
        raise
    if as_json:
        jsonout.echo(_cluster_document(cluster, running=True, pid=pid))
    else:
        click.echo(f"running: pid {pid}, {cluster.data_dir}, {cluster.address()}, database {cluster.dbname}")


@db_group.command(
    "url",
    help="Print the URL of the embedded database (for psql, apps, DATABASE_URL). While it runs, the URL names the "
    "port it really listens on. When it is stopped, it prints the URL `db up` would give it with the current "
    "settings, and a note on stderr; before the first `db up` it fails (exit 1).",
)
@jsonout.option('{"url", "running": bool}')
def db_url(as_json: bool) -> None:
    cluster = db.local_cluster()
    if not cluster.is_initialised:
        raise SessionkeeperError(f"no embedded database in {cluster.data_dir} yet (create it: sessionkeeper db up)")
    if cluster.running_port() is None:
        click.echo(
            f"note: the embedded database in {cluster.data_dir} is not running; this is its URL once "
            "`sessionkeeper db up` starts it with the current settings",
            err=True,
        )
    if as_json:
        jsonout.echo({"url": cluster.url(), "running": cluster.running_port() is not None})
    else:
        click.echo(cluster.url())


# ---- migrate ---------------------------------------------------------------------------------
@cli.group(invoke_without_command=True, help="Apply pending migrations, then re-apply changed SQL objects from sql/.")
@click.option("--dry-run", is_flag=True, help="Do everything in one transaction, then roll it back.")
@click.pass_context
def migrate(ctx: click.Context, dry_run: bool) -> None:
    if ctx.invoked_subcommand is not None:
        return
    outcome = run_migrations(db.resolve_url(start_local=True), dry_run=dry_run)
    if outcome.dry_run:
        click.echo("dry run: everything above was rolled back")


def run_migrations(url: str, *, dry_run: bool = False, say=click.echo):
    return migrate_and_report(url, config.project_dir(), dry_run=dry_run, say=say)


@migrate.command("status", help="List migrations and SQL objects: applied, pending, edited or changed.")
@jsonout.option('{"files": [{"state", "file", "applied_at"}], "edited": count}; exit 1 when a migration was edited')
def migrate_status(as_json: bool) -> None:
    with db.connect(db.resolve_url(start_local=False), autocommit=True) as conn:
        plan = Migrator(conn, config.project_dir()).plan()
    files = []
    for version in sorted(plan.applied):
        filename, _checksum, applied_at = plan.applied[version]
        state = "EDITED after applying" if any(m.version == version for m in plan.edited) else "applied"
        if filename in plan.missing:
            state = "applied, file missing"
        files.append((state, filename, applied_at))
    files += [("pending", migration.relpath, None) for migration in plan.pending]
    files += [("up to date", sql_file.relpath, None) for sql_file in plan.repeatable_current]
    files += [
        ("changed" if sql_file.relpath in plan.repeatable_checksums else "new", sql_file.relpath, None)
        for sql_file in plan.repeatable_changed
    ]
    if as_json:
        jsonout.echo(
            {
                "files": [{"state": state, "file": name, "applied_at": at} for state, name, at in files],
                "edited": len(plan.edited),
            }
        )
    else:
        for state, name, at in files:
            click.echo(f"{state:<24} {name}  {at:%Y-%m-%d %H:%M:%S%z}" if at else f"{state:<24} {name}")
    if plan.edited:
        raise SessionkeeperError(f"{len(plan.edited)} applied migration(s) were edited; see above")


# ---- run and worker ------------------------------------------------------------------------
def worker_options(command):
    """The worker's settings, each mirrored by an environment variable."""
    options = [
        click.option(
            "--lanes",
            type=click.IntRange(1, 64),
            default=WORKER_LANES,
            show_default=True,
            envvar="SESSIONKEEPER_WORKER_LANES",
            help="Batches in flight at once, each on its own connection. [env SESSIONKEEPER_WORKER_LANES]",
        ),
        click.option(
            "--batch-size",
            type=click.IntRange(1, 1000),
            default=WORKER_BATCH_SIZE,
            show_default=True,
            envvar="SESSIONKEEPER_WORKER_BATCH",
            help="Rows claimed per batch. [env SESSIONKEEPER_WORKER_BATCH]",
        ),
        click.option(
            "--lease",
            type=click.FloatRange(5, 3600),
            default=WORKER_LEASE_SECONDS,
            show_default=True,
            envvar="SESSIONKEEPER_WORKER_LEASE",
            help="Seconds a claimed row stays ours; a crashed worker's rows come back after it. "
            "[env SESSIONKEEPER_WORKER_LEASE]",
        ),
        click.option(
            "--worker-id",
            envvar="SESSIONKEEPER_WORKER_ID",
            help="Name in leases and logs (default host:pid). [env SESSIONKEEPER_WORKER_ID]",
        ),
        click.option(
            "--metrics-port",
            type=click.IntRange(1024, 65535),
            envvar="SESSIONKEEPER_METRICS_PORT",
            help="Serve Prometheus metrics on http://HOST:PORT/metrics (HOST from --metrics-host). "
            "[env SESSIONKEEPER_METRICS_PORT]",
        ),
        click.option(
            "--metrics-host",
            default="127.0.0.1",
            show_default=True,
            envvar="SESSIONKEEPER_METRICS_HOST",
            callback=_metrics_host,
            help="IP address the metrics server binds to (0.0.0.0 or :: for every interface), or localhost. "
            "[env SESSIONKEEPER_METRICS_HOST]",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _metrics_host(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """An IP address or localhost: checked here, without a name lookup, so that a typo fails at once."""
    import ipaddress

    if value != "localhost":
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise click.BadParameter(f"{value!r} is not an IP address (nor localhost)") from None
    return value


def _logger(event: str):
    """The log of a long-running command (standard logging, see runner.logs); ``event`` names its plain lines."""
    from runner.logs import make_logger

    return make_logger(os.environ.get("SESSIONKEEPER_LOG_FORMAT") or "text", event)


def _worker_settings(
    lanes: int, batch_size: int, lease: float, worker_id: str | None, metrics_port: int | None, metrics_host: str
):
    from runner.worker import WorkerSettings

    settings = WorkerSettings(
        batch_size=batch_size, lease_seconds=lease, lanes=lanes, metrics_port=metrics_port, metrics_host=metrics_host
    )
    if worker_id:
        settings.worker_id = worker_id
    return settings


@cli.command(
    help="Bring the database up (embedded unless a URL is set), migrate, and keep the system going "
    "until Ctrl-C or SIGTERM (exit 0): the reminder worker, and tick every --interval seconds where "
    "pg_cron is missing. An embedded database that run started is stopped when run ends, however it ends "
    "(unless --keep-database); one that was already running (`sessionkeeper db up`) keeps running."
)
@click.option(
    "--interval",
    type=click.FloatRange(min=1),
    default=60,
    show_default=True,
    envvar="SESSIONKEEPER_TICK_INTERVAL",
    help="Seconds between ticks when pg_cron is absent. [env SESSIONKEEPER_TICK_INTERVAL]",
)
@click.option(
    "--demo",
    is_flag=True,
    envvar="SESSIONKEEPER_DEMO",
    help="Add demo bookings whose reminders fall due within a minute. [env SESSIONKEEPER_DEMO]",
)
@click.option(
    "--keep-database",
    is_flag=True,
    envvar="SESSIONKEEPER_KEEP_DATABASE",
    help="Leave the embedded database running at the end even when run started it (stop it later with "
    "`sessionkeeper db down`). [env SESSIONKEEPER_KEEP_DATABASE]",
)
@worker_options
def run(
    interval: float,
    demo: bool,
    keep_database: bool,
    lanes: int,
    batch_size: int,
    lease: float,
    worker_id: str | None,
    metrics_port: int | None,
    metrics_host: str,
) -> None:
    import asyncio
    import threading

    from runner.cli_queue import add_demo_data
    from runner.lifetime import RunLifetime
    from runner.worker import serve

    log = _logger("run")
    status = 0
    with RunLifetime(log, keep_database=keep_database) as lifetime:
        url = lifetime.database_url()
        log(f"database: {db.redact(url)}")
        outcome = run_migrations(url, say=log)
        if demo:
            add_demo_data(url, log)
        stop_ticking = threading.Event()
        ticker = None
        if outcome.cron_problem:
            log(f"ticking every {interval:g} s (no pg_cron)")
            ticker = threading.Thread(
                target=loops.tick_loop,
                args=(url, interval, stop_ticking, log.bind("tick")),
                name="tick-loop",
                daemon=True,
            )
            ticker.start()
        else:
            log("pg_cron drives the schedules")
        settings = _worker_settings(lanes, batch_size, lease, worker_id, metrics_port, metrics_host)
        try:
            status = asyncio.run(serve(url, settings, log, on_ready=lambda: log("running: Ctrl-C or SIGTERM to stop")))
        finally:
            lifetime.catch_interruptions()
            stop_ticking.set()
            if ticker is not None:
                ticker.join(timeout=30)
    log("stopped")
    sys.exit(status)


@cli.command(
    help="Send due reminders through WhatsApp (Cloud API, Twilio, or the console when neither is "
    "configured) until Ctrl-C or SIGTERM. When the provider refuses the sender itself (expired token, locked "
    "account) it halts the sending number for every worker and waits, sending nothing, until "
    "`sessionkeeper resume-sending NUMBER`."
)
@worker_options
def worker(
    lanes: int, batch_size: int, lease: float, worker_id: str | None, metrics_port: int | None, metrics_host: str
) -> None:
    import asyncio

    from runner.worker import serve

    url = db.resolve_url(start_local=False)
    settings = _worker_settings(lanes, batch_size, lease, worker_id, metrics_port, metrics_host)
    sys.exit(asyncio.run(serve(url, settings, _logger("worker"))))


# ---- webhook ---------------------------------------------------------------------------------
@cli.command(
    help="Serve WhatsApp's inbound webhook: delivery statuses and replies (CANCEL cancels the next booking). "
    "POST /whatsapp is verified with WHATSAPP_APP_SECRET (X-Hub-Signature-256), GET /whatsapp answers Meta's "
    "handshake with WHATSAPP_VERIFY_TOKEN, POST /twilio is verified with TWILIO_AUTH_TOKEN (X-Twilio-Signature; "
    "set SESSIONKEEPER_WEBHOOK_PUBLIC_URL behind a proxy). Unsigned or wrongly signed requests get 403."
)
@listen_options("SESSIONKEEPER_WEBHOOK_HOST", "SESSIONKEEPER_WEBHOOK_PORT", 8088, "put a TLS proxy in front")
def webhook(host: str, listen_port: int) -> None:
    import asyncio

    from runner import webhook as inbound

    settings = inbound.WebhookSettings.from_env(os.environ, host, listen_port)
    url = db.resolve_url(start_local=False)
    sys.exit(asyncio.run(inbound.serve(url, settings, _logger("webhook"))))


# ---- tick ------------------------------------------------------------------------------------
@cli.command(help="Apply every due status change once (scheduling.tick) and print the counts as JSON.")
@click.option(
    "--now",
    "at",
    type=TIME,
    help=f"Tick as if it were this time; the changes are real, see --dry-run ({FORMS_HELP}). Default: now(). "
    "More than 5 minutes in the future needs --simulated-time.",
)
@click.option(
    "--simulated-time",
    is_flag=True,
    envvar="SESSIONKEEPER_SIMULATED_TIME",
    help="Allow a --now in the future: the transitions due then are written for real (SET "
    "sessionkeeper.simulated_time = on). [env SESSIONKEEPER_SIMULATED_TIME]",
)
@click.option(
    "--loop",
    is_flag=True,
    help="Keep ticking every --interval seconds until Ctrl-C or SIGTERM (for servers without pg_cron).",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=1),
    default=60,
    show_default=True,
    envvar="SESSIONKEEPER_TICK_INTERVAL",
    help="Seconds between ticks with --loop. [env SESSIONKEEPER_TICK_INTERVAL]",
)
@click.option("--dry-run", is_flag=True, help="Change nothing: print what would happen at --now (as `preview`).")
def tick(at, simulated_time: bool, loop: bool, interval: float, dry_run: bool) -> None:
    url = db.resolve_url(start_local=False)
    if dry_run:
        if loop:
            raise SessionkeeperError("--dry-run and --loop do not go together: a dry run looks once")
        with db.connect(url, autocommit=True) as conn:
            echo_preview(conn, at, as_json=False)
        return
    if loop:
        if at is not None:
            raise SessionkeeperError("--now and --loop do not go together: a loop ticks at the real time")
        loops.run_forever(url, tick_interval=interval, say=_logger("tick"))
        return
    with db.connect(url, autocommit=True) as conn:
        if simulated_time:
            conn.execute("SET sessionkeeper.simulated_time = on")
        try:
            counts = loops.tick_once(conn, at)
        except psycopg.Error as problem:
            if problem.sqlstate != "SK038":
                raise
            raise SessionkeeperError(
                f"{db.first_line(problem)} [SQLSTATE SK038]; --simulated-time writes as if it were that time"
            ) from None
        click.echo(json.dumps(counts))


# ---- watch -----------------------------------------------------------------------------------
@cli.command(help=f"Print session status changes live, one line each (LISTEN {loops.STATUS_CHANNEL}).")
@click.option("--json", "as_json", is_flag=True, help="Print each event's JSON payload as it arrives.")
def watch(as_json: bool) -> None:
    url = db.resolve_url(start_local=False)
    loops.watch(url, as_json=as_json, say=click.echo)


# ---- cron ------------------------------------------------------------------------------------
@cli.group(help="Look at the pg_cron jobs that run sessionkeeper.")
def cron() -> None:
    pass


@cron.command(
    "list",
    help="Show this database's pg_cron jobs (wherever pg_cron lives) with schedule, owner and last run.",
)
@jsonout.option(
    '{"version", "database", "jobs": [{"jobname", "jobid", "schedule", "active", "username", "last_status", '
    '"last_start", "last_message"}]}'
)
def cron_list(as_json: bool) -> None:
    with db.connect(db.resolve_url(start_local=False), autocommit=True) as conn:
        place = schedules.locate(conn)
        if not place.usable:
            raise SessionkeeperError(f"no pg_cron jobs to show: {place.problem}")
        with schedules.cron_connection(conn, place) as cron_conn:
            jobs = schedules.read_pg_cron_jobs(cron_conn, place)
            last_runs = schedules.last_runs(cron_conn, [job.jobid for job in jobs])
    if as_json:
        jsonout.echo(
            {
                "version": place.version,
                "database": place.cron_database,
                "jobs": schedules.job_reports(jobs, last_runs),
            }
        )
        return
    where = "this database" if place.local else f"database {place.cron_database}"
    click.echo(f"pg_cron {place.version} in {where}")
    if not jobs:
        click.echo("no jobs scheduled")
    for job in jobs:
        status, started, message = last_runs.get(job.jobid, (None, None, None))
        last = f"last run {started:%Y-%m-%d %H:%M:%S%z} {status}" if started else "never run"
        detail = f": {message.strip()}" if message and status != "succeeded" else ""
        state = "active" if job.active else "paused"
        click.echo(f"{job.jobname:<36} {job.schedule:<14} {state:<7} as {job.username:<12} {last}{detail}")


from runner.cli_api_token import COMMANDS as _API_TOKEN_COMMANDS  # noqa: E402
from runner.cli_doctor import COMMANDS as _DOCTOR_COMMANDS  # noqa: E402
from runner.cli_ha import COMMANDS as _HA_COMMANDS  # noqa: E402
from runner.cli_halts import COMMANDS as _HALT_COMMANDS  # noqa: E402
from runner.cli_health import COMMANDS as _HEALTH_COMMANDS  # noqa: E402
from runner.cli_preview import COMMANDS as _PREVIEW_COMMANDS  # noqa: E402
from runner.cli_queue import COMMANDS as _QUEUE_COMMANDS  # noqa: E402
from runner.cli_recurring import COMMANDS as _RECURRING_COMMANDS  # noqa: E402
from runner.cli_serve import COMMANDS as _SERVE_COMMANDS  # noqa: E402

_GROUPS = [
    _QUEUE_COMMANDS,
    _RECURRING_COMMANDS,
    _DOCTOR_COMMANDS,
    _PREVIEW_COMMANDS,
    _HALT_COMMANDS,
    _HEALTH_COMMANDS,
    _SERVE_COMMANDS,
    _HA_COMMANDS,
    _API_TOKEN_COMMANDS,
]
for _command in [command for group in _GROUPS for command in group]:
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="sessionkeeper")


if __name__ == "__main__":
    main()
