"""The reminder worker's throughput and lag, against its ceiling and its peer, in one run.

On one throwaway cluster, each scenario in its own copy of a freshly migrated database, with the loopback
fake of the WhatsApp Cloud API (tests/fake_provider.py) answering in this process:

* ceiling: a bare SQL loop, no HTTP, as many connections and rows per batch as the worker's defaults,
  claiming with scheduling.claim_due_reminders and recording with scheduling.record_reminder_sent;
* end to end: real `sessionkeeper worker` processes delivering 5,000 due reminders to a zero-latency fake
  (1 process; 3 processes on one sending number; 3 processes, one sending number each) and to a fake that
  answers in 100 ms; the bucket of each sending number is set to 1,000 messages/s (Meta's highest tier);
* lag: 10,000 reminders falling due at 1,000 per second, 1 worker process; lag = arrival at the fake
  (and reminders.sent_at) minus due_at;
* the peer: procrastinate (the optional extra `bench`), its schema in its own schema `procrastinate` of
  the same database, one task doing the same POST through the same CloudApiSender (one aiohttp session per
  worker process), 5,000 deferred jobs, one worker process.

Rates are counted at the fake, from its first to its last accepted request. Figures are printed with ratios
against the baselines measured in the same run; nothing here asserts a time. Every wait has a deadline,
and every process started here is stopped, even on failure.

`python bench/bench_worker.py procrastinate-worker` is the procrastinate worker process this script starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from support import (
    PROJECT,
    Profile,
    connect,
    median_seconds,
    migrated_database,
    print_table,
    print_targets,
    profile_statement,
)

from runner.outbound import OutboundMessage, Verdict
from runner.worker import WorkerSettings
from tests.fake_provider import CLOUD_TOKEN, PHONE_NUMBER_ID, FakeProvider
from tests.seed import add_due_reminders as seed_due_reminders

TOTAL = 5_000
CLAIM_BACKLOGS = (1_000, 100_000)  # due rows behind one claim of BATCH
CLAIM_TARGET = 1.3  # the claim at the larger backlog, at most this many times the one at the smaller
SEND_RATE = 1_000  # messages/s per sending number: Meta's highest throughput tier
LIFTED_RATE = 100_000  # a bucket that never holds the worker back: what the worker itself manages
LAG_RATE, LAG_SECONDS, LAG_LEAD_SECONDS = 1_000, 10, 5.0
SLOW_DELAY = 0.1
LANES, BATCH = WorkerSettings().lanes, WorkerSettings().batch_size
PROCRASTINATE_CONCURRENCY = LANES * BATCH  # as many sends in flight as the worker allows
PROCRASTINATE_POOL = 10  # connections; the worker uses LANES + a listener + a heartbeat
PROCRASTINATE_TASK = "bench.send_reminder"
DEADLINE = 90.0  # seconds for any one scenario to finish its sends
WORKER_IDS = [PHONE_NUMBER_ID, "1098765432101235", "1098765432101236"]


# ---- databases and rows -------------------------------------------------------------------------------------
class Databases:
    """Copies of one migrated template database on the benchmark's cluster, one per scenario."""

    def __init__(self, url: str) -> None:
        self.base = url.rsplit("/", 1)[0]
        with connect(url, autocommit=True) as conn:
            # The cluster's cron database cannot be a template (pg_cron's launcher stays connected to it).
            conn.execute("CREATE DATABASE bench_template")
        from runner.migrate import Migrator

        with connect(self.url("bench_template"), autocommit=True) as conn:
            Migrator(conn, PROJECT, say=lambda line: None).run()

    def url(self, dbname: str) -> str:
        return f"{self.base}/{dbname}"

    def fresh(self, dbname: str) -> str:
        with connect(self.url("bench_template"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}" TEMPLATE bench_template')
        return self.url(dbname)


def add_due_reminders(url: str, count: int) -> None:
    """``count`` reminders due now, one recipient each (tests/seed.py), with fresh statistics."""
    seed_due_reminders(url, count)
    quiet_hours_elsewhere(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")


def set_rates(url: str, phone_ids: list[str], rate: float = SEND_RATE) -> None:
    """The bucket of each sending number; above Meta's 1,000/s (which set_send_rate and a CHECK refuse) the
    CHECK is dropped in this throwaway copy and the bucket written directly, to see the worker unthrottled."""
    with psycopg.connect(url, autocommit=True) as conn:
        for phone_id in phone_ids:
            if rate <= SEND_RATE:
                conn.execute("SELECT scheduling.set_send_rate(%s, %s)", (f"cloud_api:{phone_id}", rate))
                continue
            conn.execute(
                "ALTER TABLE scheduling.send_rate_limits DROP CONSTRAINT IF EXISTS send_rate_limits_rate_range"
            )
            conn.execute(
                "INSERT INTO scheduling.send_rate_limits (sending_number, messages_per_second, tokens, refilled_at) "
                "VALUES (%s, %s, %s, now())",
                (f"cloud_api:{phone_id}", rate, rate),
            )


def sent_keys(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {row[0] for row in conn.execute("SELECT reminder_key FROM scheduling.reminders WHERE state = 'sent'")}


def count_sent(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM scheduling.reminders WHERE state = 'sent'").fetchone()[0]


# ---- processes ----------------------------------------------------------------------------------------------
@dataclass
class Processes:
    """Child processes with their output in temporary files; all stopped on exit, whatever happened."""

    started: list[tuple[subprocess.Popen, Any]] = field(default_factory=list)

    def start(self, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed by stop_all)
        process = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, text=True, env={**os.environ, **env}, cwd=PROJECT
        )
        self.started.append((process, log))
        return process

    def check_alive(self) -> None:
        for process, log in self.started:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args[-1]} exited {process.returncode}:\n{tail(log)}")

    def stop_all(self) -> list[tuple[int, str]]:
        for process, _ in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        outcomes = []
        for process, log in self.started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            outcomes.append((process.returncode, tail(log)))
            log.close()
        self.started.clear()
        return outcomes

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a live process on this machine, from /proc (0 when it is gone)."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def cpu_seconds(url: str, worker_pids: list[int]) -> dict[str, float]:
    """CPU seconds spent so far by the worker processes and by the database backends serving this database
    (the cluster runs on this machine): where a run's time went when the two share the machine's cores."""
    with psycopg.connect(url, autocommit=True) as conn:
        backends = [
            pid
            for (pid,) in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ]
    return {
        "worker processes": sum(process_cpu_seconds(pid) for pid in worker_pids),
        "database backends": sum(process_cpu_seconds(pid) for pid in backends),
    }


def cpu_profile(run: Run, messages: int) -> str:
    """One line: CPU per message in the worker and in PostgreSQL, against the wall time per message."""
    if not run.cpu or not run.seconds:
        return ""
    parts = [f"{name} {seconds / messages * 1e6:.0f} µs" for name, seconds in run.cpu.items()]
    return (
        f"CPU per message: {', '.join(parts)} (wall {run.seconds / messages * 1e6:.0f} µs per message, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f})"
    )


def tail(log: Any, lines: int = 20) -> str:
    log.seek(0)
    return "".join(log.readlines()[-lines:])


def wait_for(condition: Callable[[], object], what: str, deadline: float, processes: Processes) -> None:
    give_up = time.monotonic() + deadline
    while time.monotonic() < give_up:
        if condition():
            return
        processes.check_alive()
        time.sleep(0.1)
    raise TimeoutError(f"no {what} after {deadline:g} s")


@contextlib.contextmanager
def fake_provider(delay: float = 0.0):
    fake = FakeProvider(default_delay=delay).start()
    try:
        yield fake
    finally:
        fake.stop()


# ---- results ------------------------------------------------------------------------------------------------
@dataclass
class Run:
    name: str
    rate: float | None = None
    seconds: float | None = None
    note: str = ""
    problem: str | None = None
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds: worker processes, database backends


def arrival_rate(fake: FakeProvider) -> tuple[float, float]:
    """Messages/s from the first to the last request the fake accepted, and that span in seconds."""
    times = sorted(a.at for a in fake.accepted)
    span = times[-1] - times[0]
    return (len(times) - 1) / span if span > 0 else float("inf"), span


def exactly_once(fake: FakeProvider, expected: set[str]) -> str:
    keys = Counter(a.body.get("biz_opaque_callback_data") for a in fake.accepted)
    twice = sum(1 for count in keys.values() if count > 1)
    verdict = "exactly once" if set(keys) == expected and twice == 0 else "NOT exactly once"
    return f"{len(fake.accepted):,} accepted, {len(keys):,} keys, {twice} twice: {verdict}"


# ---- 1. the ceiling: bare SQL, no HTTP ----------------------------------------------------------------------
def sent(rows: list[tuple]) -> str:
    """record_reminder_outcomes' batch saying that each claimed row (id, key, token, ...) was sent."""
    return json.dumps(
        [
            {
                "reminder_id": str(r[0]),
                "attempt_token": str(r[2]),
                "outcome": "sent",
                "provider_message_id": f"b-{r[1]}",
            }
            for r in rows
        ]
    )


async def bare_sql_loop(url: str, total: int) -> tuple[float, list[float], list[float]]:
    """Claim and record with LANES connections, BATCH rows per claim, one call each; (seconds, claim times, record
    times)."""
    claims: list[float] = []
    records: list[float] = []

    async def lane(number: int) -> None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            while True:
                started = time.perf_counter()
                cursor = await conn.execute(
                    "SELECT * FROM scheduling.claim_due_reminders(%s, %s, make_interval(secs => 60))",
                    (f"bare-{number}", BATCH),
                )
                rows = await cursor.fetchall()
                claims.append(time.perf_counter() - started)
                if not rows:
                    return
                started = time.perf_counter()
                await conn.execute("SELECT count(*) FROM scheduling.record_reminder_outcomes(%s::jsonb)", (sent(rows),))
                records.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(lane(n) for n in range(LANES))), DEADLINE)
    return time.perf_counter() - started, claims, records


def run_ceiling(dbs: Databases) -> tuple[Run, list[str]]:
    url = dbs.fresh("bench_ceiling")
    add_due_reminders(url, TOTAL)
    seconds, claims, records = asyncio.run(bare_sql_loop(url, TOTAL))
    sent_count = count_sent(url)
    first, last = claims[: LANES * 3], claims[-LANES * 3 :]
    notes = [
        f"bare loop: {len(claims)} claims; the first {len(first)} (backlog ~{TOTAL:,}) took "
        f"{statistics.mean(first) * 1000:.0f} ms each, the last {len(last)} {statistics.mean(last) * 1000:.0f} ms; "
        f"recording a batch of {BATCH} in one call: {statistics.median(records) * 1000:.0f} ms (median)"
    ]
    problem = None if sent_count == TOTAL else f"only {sent_count} of {TOTAL} recorded as sent"
    name = f"bare SQL claim-and-record, {LANES} conns x {BATCH}"
    return Run(name, sent_count / seconds, seconds, problem=problem), notes


def claim_at_backlogs(dbs: Databases) -> tuple[dict[int, dict[str, float]], list[str]]:
    """One claim of BATCH at each backlog of CLAIM_BACKLOGS due rows (CLAIM_BACKLOGS[0] recipients), and inside
    it the window (the locked read of the earliest due rows off their index) and the re-check of the window's
    rows: medians in ms, each measurement rolled back so every one sees the same rows."""
    url = dbs.fresh("bench_claim")
    claim = f"SELECT * FROM scheduling.claim_due_reminders('breakdown', {BATCH})"
    window = f"""
        SELECT r.id FROM scheduling.reminders AS r
        WHERE r.state = 'pending' AND r.next_attempt_at <= now()
          AND NOT EXISTS (SELECT 1 FROM scheduling.recipient_pacing AS rp
                          WHERE rp.person_id = r.person_id AND rp.next_allowed_at > now())
        ORDER BY r.next_attempt_at, r.id LIMIT {BATCH * 4} FOR UPDATE OF r SKIP LOCKED"""
    recheck = f"""
        WITH w AS ({window})
        SELECT scheduling_internal.reminder_block_reason(r, b, s, p, now()) FROM w
        INNER JOIN scheduling.reminders AS r ON r.id = w.id
        INNER JOIN scheduling.bookings AS b ON r.booking_id = b.id
        INNER JOIN scheduling.sessions AS s ON r.session_id = s.id
        INNER JOIN scheduling.people AS p ON r.person_id = p.id"""
    figures: dict[int, dict[str, float]] = {}
    profile: Profile | None = None
    small = CLAIM_BACKLOGS[0]
    add_due_reminders(url, small)
    for backlog in CLAIM_BACKLOGS:
        copies = backlog // small - 1
        with connect(url, autocommit=True) as conn:
            if copies > 0:
                # More due rows for the same recipients, copies of the first ones (planning 100,000 people and
                # bookings through the API would take minutes): the claim still takes one per recipient.
                conn.execute(
                    """
                    INSERT INTO scheduling.reminders
                    SELECT (jsonb_populate_record(r, jsonb_build_object(
                        'id', gen_random_uuid(), 'reminder_key', r.reminder_key || ':' || g,
                        'seq', r.seq + 1000 * g))).*
                    FROM scheduling.reminders AS r CROSS JOIN generate_series(1, %s) AS g
                    """,
                    (copies,),
                )
            conn.execute("VACUUM ANALYZE scheduling.reminders")
        with connect(url) as conn:
            # A worker's connection is long-lived: past its first five calls PL/pgSQL plans each statement once.
            for _ in range(6):
                rolled_back(conn, claim)
            figures[backlog] = {
                name: median_seconds(lambda q=query: rolled_back(conn, q), repeat=9) * 1000
                for name, query in (("claim", claim), ("window", window), ("recheck", recheck))
            }
            if figures[backlog]["claim"] > CLAIM_TARGET * figures[small]["claim"]:
                profile = profile_statement(conn, claim, min_ms=0.2)
    notes = [
        f"one claim of {BATCH} at a backlog of {backlog:,} due rows: {f['claim']:.1f} ms; inside it, the locked "
        f"window of the earliest {BATCH * 4} due rows {f['window']:.1f} ms alone and their re-check "
        f"(reminder_block_reason) {f['recheck']:.1f} ms alone"
        for backlog, f in figures.items()
    ]
    if profile is not None:
        notes.append(
            f"the claim at {CLAIM_BACKLOGS[-1]:,} due rows is over {CLAIM_TARGET:g}x the one at {small:,}; "
            "once more, rolled back:"
        )
        notes.extend(profile.lines())
    return figures, notes


def rolled_back(conn: psycopg.Connection, query: str) -> None:
    with conn.transaction(force_rollback=True):
        conn.execute(query).fetchall()


def quiet_hours_elsewhere(url: str) -> None:
    """Quiet hours on the default policy, 12 hours away in the recipients' zone: the claim's quiet-hours step
    runs on every call but holds nothing back."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            """
            UPDATE scheduling.reminder_policies
            SET quiet_start = (now() AT TIME ZONE 'Europe/Berlin' + interval '12 hours')::time,
                quiet_end = (now() AT TIME ZONE 'Europe/Berlin' + interval '13 hours')::time
            WHERE name = 'default'
            """
        )


# ---- 2-3. end to end ----------------------------------------------------------------------------------------
def worker_env(url: str, fake: FakeProvider, phone_id: str) -> dict[str, str]:
    return {**fake.cloud_env(), "WHATSAPP_PHONE_NUMBER_ID": phone_id, "SESSIONKEEPER_DATABASE_URL": url}


def worker_args(worker_id: str) -> list[str]:
    return [sys.executable, "-m", "runner.cli", "worker", "--worker-id", worker_id]


def run_end_to_end(
    dbs: Databases, name: str, *, processes: int, numbers: int, delay: float = 0.0, rate: float = SEND_RATE
) -> Run:
    dbname = "bench_" + "".join(c if c.isalnum() else "_" for c in name.lower())
    run = Run(name)
    url = dbs.fresh(dbname[:60])
    add_due_reminders(url, TOTAL)
    phone_ids = WORKER_IDS[:numbers]
    set_rates(url, phone_ids, rate)
    with psycopg.connect(url) as conn:
        expected = {key for (key,) in conn.execute("SELECT reminder_key FROM scheduling.reminders")}
    with fake_provider(delay) as fake, Processes() as children:
        started = time.monotonic()
        for n in range(processes):
            children.start(worker_args(f"bench-{n}"), worker_env(url, fake, phone_ids[n % numbers]))
        try:
            wait_for(
                lambda: len(fake.accepted) >= TOTAL and count_sent(url) == TOTAL, "5,000 sends", DEADLINE, children
            )
        except (TimeoutError, RuntimeError) as problem:
            run.problem = f"{problem} ({len(fake.accepted):,} accepted)"
        run.seconds = time.monotonic() - started
        run.cpu = cpu_seconds(url, [process.pid for process, _ in children.started])
        outcomes = children.stop_all()
        if len(fake.accepted) > 1:
            run.rate, _ = arrival_rate(fake)
        run.note = exactly_once(fake, expected)
        if sent_keys(url) != expected and not run.problem:
            run.problem = "the database does not show every reminder sent"
        bad = [out for code, out in outcomes if code != 0 or "Traceback" in out]
        if bad and not run.problem:
            run.problem = f"a worker exited badly:\n{bad[0]}"
    return run


# ---- 4. lag at an offered 1,000 messages/s ------------------------------------------------------------------
def run_lag(dbs: Databases) -> tuple[Run, dict[str, list[float]]]:
    total = LAG_RATE * LAG_SECONDS
    run = Run(f"1 process, {total:,} falling due at {LAG_RATE:,}/s")
    url = dbs.fresh("bench_lag")
    add_due_reminders(url, total)
    set_rates(url, [PHONE_NUMBER_ID])
    with psycopg.connect(url, autocommit=True) as conn:
        # Spread the due times: row k falls due at first + k / LAG_RATE seconds.
        first_due = conn.execute(
            """
            WITH o AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM scheduling.reminders),
            moved AS (
                UPDATE scheduling.reminders AS r
                SET due_at = now() + make_interval(secs => %(lead)s + o.k / %(rate)s::float8),
                    next_attempt_at = now() + make_interval(secs => %(lead)s + o.k / %(rate)s::float8)
                FROM o WHERE r.id = o.id
                RETURNING r.due_at
            )
            SELECT extract(EPOCH FROM min(due_at)) FROM moved
            """,
            {"lead": LAG_LEAD_SECONDS, "rate": LAG_RATE},
        ).fetchone()[0]
        due = dict(conn.execute("SELECT reminder_key, extract(EPOCH FROM due_at) FROM scheduling.reminders"))
    lags: dict[str, list[float]] = {}
    with fake_provider() as fake, Processes() as children:
        children.start(worker_args("bench-lag"), worker_env(url, fake, PHONE_NUMBER_ID))
        with psycopg.connect(url, autocommit=True) as conn:
            wait_for(
                lambda: conn.execute("SELECT count(*) FROM scheduling.worker_heartbeats").fetchone()[0],
                "worker heartbeat",
                30,
                children,
            )
        ready_ahead = float(first_due) - time.time()
        started = time.monotonic()
        try:
            wait_for(
                lambda: len(fake.accepted) >= total,
                f"{total:,} sends",
                LAG_LEAD_SECONDS + LAG_SECONDS + DEADLINE,
                children,
            )
            wait_for(lambda: count_sent(url) == total, f"{total:,} recorded", 30, children)
        except (TimeoutError, RuntimeError) as problem:
            run.problem = f"{problem} ({len(fake.accepted):,} accepted)"
        run.seconds = time.monotonic() - started
        run.cpu = cpu_seconds(url, [process.pid for process, _ in children.started])
        children.stop_all()
        # The fake stamps arrivals with time.monotonic(); the database's due_at is wall time on this machine.
        wall = time.time() - time.monotonic()
        lags["arrival at the fake"] = [
            a.at + wall - float(due[a.body["biz_opaque_callback_data"]]) for a in fake.accepted
        ]
        run.rate, _ = arrival_rate(fake) if len(fake.accepted) > 1 else (None, None)
        run.note = exactly_once(fake, set(due)) + f"; worker ready {ready_ahead:.1f} s before the first due time"
    with psycopg.connect(url) as conn:
        lags["reminders.sent_at"] = [
            float(row[0])
            for row in conn.execute(
                "SELECT extract(EPOCH FROM sent_at - due_at) FROM scheduling.reminders WHERE sent_at IS NOT NULL"
            )
        ]
    return run, lags


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# ---- 5. the peer: procrastinate -----------------------------------------------------------------------------
class NotInMainWarning(logging.Filter):
    """Drops procrastinate's warning that the App lives in __main__: its one task is found by its explicit name."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "action", None) != "app_defined_in___main__"


def procrastinate_app(conninfo: str, sender_box: dict[str, Any]):
    import procrastinate

    logging.getLogger("procrastinate.blueprints").addFilter(NotInMainWarning())

    connector = procrastinate.PsycopgConnector(conninfo=conninfo, min_size=4, max_size=PROCRASTINATE_POOL)
    app = procrastinate.App(connector=connector)

    @app.task(name=PROCRASTINATE_TASK)
    async def send_reminder(message: dict[str, Any]) -> None:
        outcome = await sender_box["sender"].send(OutboundMessage(**message))
        if outcome.verdict is not Verdict.SENT:
            raise RuntimeError(f"{outcome.error_code}: {outcome.error_message}")

    return app, send_reminder


def procrastinate_conninfo(url: str) -> str:
    # Its tables and functions in their own schema: every connection it opens searches only that schema.
    return psycopg.conninfo.make_conninfo(url, options="-c search_path=procrastinate")


async def serve_procrastinate() -> None:
    """The procrastinate worker process: one aiohttp session, the same CloudApiSender as our worker."""
    import aiohttp

    from runner.senders.cloud_api import CloudApiSender

    sender_box: dict[str, Any] = {}
    app, _ = procrastinate_app(os.environ["BENCH_PROCRASTINATE_CONNINFO"], sender_box)
    connector = aiohttp.TCPConnector(limit=PROCRASTINATE_CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:
        sender_box["sender"] = CloudApiSender(
            session, token=CLOUD_TOKEN, phone_number_id=PHONE_NUMBER_ID, base_url=os.environ["BENCH_FAKE_URL"]
        )
        async with app.open_async():
            await app.run_worker_async(concurrency=PROCRASTINATE_CONCURRENCY, name="bench-procrastinate")


async def defer_jobs(conninfo: str, messages: list[dict[str, Any]]) -> None:
    app, task = procrastinate_app(conninfo, {})
    async with app.open_async():
        await app.schema_manager.apply_schema_async()
        for start in range(0, len(messages), 1000):
            await task.batch_defer_async(*({"message": m} for m in messages[start : start + 1000]))


def synthetic_messages(total: int) -> list[dict[str, Any]]:
    """What claim_due_reminders hands the worker for these rows, as JSON for procrastinate's job args."""
    return [
        {
            "reminder_id": f"00000000-0000-4000-8000-{n:012d}",
            "reminder_key": f"procrastinate-{n}",
            "attempt_token": f"00000000-0000-4000-8000-{n:012d}",
            "attempt": 1,
            "kind": "reminder",
            "recipient_phone": f"+1555{n:07d}",
            "recipient_name": f"Customer {n}",
            "recipient_time_zone": "Europe/Berlin",
            "template_name": "session_reminder",
            "language": "en",
            "whatsapp_template_name": "session_reminder",
            "twilio_content_sid": None,
            "body_parameters": [f"Customer {n}", "Haircut", "Bench Host", "Tue 24 Nov, 10:30", "in 30 minutes"],
        }
        for n in range(1, total + 1)
    ]


def run_procrastinate(dbs: Databases) -> Run:
    run = Run(f"procrastinate, 1 process, concurrency {PROCRASTINATE_CONCURRENCY}, pool {PROCRASTINATE_POOL}")
    try:
        from importlib.metadata import version

        import procrastinate  # noqa: F401

        run.name += f" (v{version('procrastinate')})"
    except ImportError as problem:
        run.problem = f"procrastinate is not installed ({problem}); pip install -e '.[bench]'"
        return run
    url = dbs.fresh("bench_procrastinate")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA procrastinate")
    conninfo = procrastinate_conninfo(url)
    messages = synthetic_messages(TOTAL)
    asyncio.run(defer_jobs(conninfo, messages))
    expected = {m["reminder_key"] for m in messages}

    def succeeded() -> int:
        with psycopg.connect(conninfo) as conn:
            return conn.execute("SELECT count(*) FROM procrastinate_jobs WHERE status = 'succeeded'").fetchone()[0]

    with fake_provider() as fake, Processes() as children:
        started = time.monotonic()
        env = {"BENCH_PROCRASTINATE_CONNINFO": conninfo, "BENCH_FAKE_URL": fake.base_url}
        children.start([sys.executable, str(PROJECT / "bench" / "bench_worker.py"), "procrastinate-worker"], env)
        try:
            wait_for(lambda: len(fake.accepted) >= TOTAL and succeeded() == TOTAL, "5,000 jobs", DEADLINE, children)
        except (TimeoutError, RuntimeError) as problem:
            run.problem = f"{problem} ({len(fake.accepted):,} accepted, {succeeded():,} succeeded)"
        run.seconds = time.monotonic() - started
        children.stop_all()
        if len(fake.accepted) > 1:
            run.rate, _ = arrival_rate(fake)
        run.note = exactly_once(fake, expected)
    return run


# ---- the report ---------------------------------------------------------------------------------------------
def attempt(name: str, action: Callable[[], Run]) -> Run:
    try:
        return action()
    except Exception as problem:
        traceback.print_exc()
        return Run(name, problem=f"{type(problem).__name__}: {problem}")


def figure(run: Run) -> str:
    return f"{run.rate:9,.0f} msg/s" if run.rate else "           n/a"


def ratio(run: Run, baseline: Run | None, label: str) -> str:
    if not run.rate or baseline is None or not baseline.rate:
        return ""
    return f"{run.rate / baseline.rate:5.2f}x {label}"


LIFTED_ONE = "worker, 1 process, bucket lifted (100,000/s), 0 ms fake"
LIFTED_THREE = "worker, 3 processes, bucket lifted (100,000/s), 0 ms fake"


def main() -> None:
    started = time.monotonic()
    with migrated_database("sessionkeeper_bench") as url:
        dbs = Databases(url)
        notes: list[str] = []
        claims: dict[int, dict[str, float]] = {}

        def ceiling() -> Run:
            run, found = run_ceiling(dbs)
            notes.extend(found)
            return run

        def claim_costs() -> Run:
            figures, found = claim_at_backlogs(dbs)
            claims.update(figures)
            notes.extend(found)
            return Run("claim at backlogs")

        claim_run = attempt("claim at backlogs", claim_costs)
        bare = attempt("bare SQL claim-and-record", ceiling)
        ends = [
            attempt(name, lambda name=name, kw=kw: run_end_to_end(dbs, name, **kw))
            for name, kw in (
                ("worker, 1 process, 1 number (cap 1,000/s), 0 ms fake", {"processes": 1, "numbers": 1}),
                ("worker, 3 processes, 1 number (cap 1,000/s), 0 ms fake", {"processes": 3, "numbers": 1}),
                ("worker, 3 processes, 3 numbers (cap 3,000/s), 0 ms fake", {"processes": 3, "numbers": 3}),
                (LIFTED_ONE, {"processes": 1, "numbers": 1, "rate": LIFTED_RATE}),
                (LIFTED_THREE, {"processes": 3, "numbers": 1, "rate": LIFTED_RATE}),
                (
                    "worker, 1 process, 1 number (cap 1,000/s), 100 ms fake",
                    {"processes": 1, "numbers": 1, "delay": SLOW_DELAY},
                ),
            )
        ]
        peer = attempt("procrastinate", lambda: run_procrastinate(dbs))
        lag_holder: dict[str, Any] = {}

        def lag() -> Run:
            run, lags = run_lag(dbs)
            lag_holder.update(lags)
            return run

        lag_run = attempt("lag", lag)

    rows = []
    for run in (bare, *ends, peer):
        notes_here = [ratio(run, bare, "ceiling"), "" if run is peer else ratio(run, peer, "procrastinate")]
        rows.append((run.name, figure(run), "  ".join(n for n in notes_here if n)))
    print_table(
        f"reminders delivered, {TOTAL:,} due at once, {LANES} lanes x {BATCH} per process, "
        f"bucket {SEND_RATE:,}/s per sending number (rate from first to last arrival at the fake); "
        "quiet hours set on the default policy (12 hours away)",
        rows,
    )
    print("\n  delivery checks (at the fake, by biz_opaque_callback_data):")
    for run in (*ends, peer):
        seconds = f"{run.seconds:.1f} s wall" if run.seconds else ""
        print(f"    {run.name}: {run.note} {seconds}")
        if run.cpu:
            print(f"      {cpu_profile(run, TOTAL)}")
    lag_rows = []
    for name, values in lag_holder.items():
        if values:
            lag_rows.append(
                (
                    f"due -> {name}",
                    f"p50 {percentile(values, 0.5) * 1000:6.0f} ms",
                    f"p99 {percentile(values, 0.99) * 1000:6.0f} ms   max {max(values) * 1000:6.0f} ms",
                )
            )
    if lag_rows:
        print_table(f"lag, {lag_run.name}", lag_rows)
    print(f"\n  lag run: {figure(lag_run).strip()} arriving; {lag_run.note}")
    if lag_run.cpu:
        print(f"    {cpu_profile(lag_run, LAG_RATE * LAG_SECONDS)} (wall includes the {LAG_LEAD_SECONDS:g} s lead)")
    if notes:
        print("\n  where a claim's time goes:")
        for note in notes:
            print(f"    {note}")
    by_name = {run.name: run for run in ends}
    print_targets(
        "targets", target_rows(claims, bare, by_name.get(LIFTED_ONE), by_name.get(LIFTED_THREE), peer, lag_holder)
    )
    problems = [run for run in (claim_run, bare, *ends, peer, lag_run) if run.problem]
    if problems:
        print("\n  problems:")
        for run in problems:
            print(f"    {run.name}: {run.problem}")
    print(f"\n  whole benchmark: {time.monotonic() - started:.0f} s")


def target_rows(
    claims: dict[int, dict[str, float]],
    bare: Run,
    one: Run | None,
    three: Run | None,
    peer: Run,
    lags: dict[str, list[float]],
) -> list[tuple[str, str, str, str, str]]:
    """The rows of the targets table: (what, measured, baseline, ratio, target)."""

    def rate(run: Run | None) -> str:
        return f"{run.rate:,.0f} msg/s" if run is not None and run.rate else "n/a"

    def times(run: Run | None, base: Run | None) -> str:
        if run is None or base is None or not run.rate or not base.rate:
            return "n/a"
        return f"{run.rate / base.rate:.2f}x"

    small, large = CLAIM_BACKLOGS
    rows = []
    if small in claims and large in claims:
        rows.append(
            (
                f"claim of {BATCH} at {large:,} due rows (vs at {small:,})",
                f"{claims[large]['claim']:.1f} ms",
                f"{claims[small]['claim']:.1f} ms",
                f"{claims[large]['claim'] / claims[small]['claim']:.2f}x",
                f"<= {CLAIM_TARGET:g}x",
            )
        )
    every = "worker, 1 process, every feature on, bucket lifted"
    rows.append((every, rate(one), "", "", ">= 2,000 msg/s"))
    rows.append((f"{every} (vs bare claim-and-record)", rate(one), rate(bare), times(one, bare), ">= 0.8x"))
    rows.append((f"{every} (vs procrastinate)", rate(one), rate(peer), times(one, peer), ">= 5x"))
    rows.append(("worker, 3 processes vs 1, bucket lifted", rate(three), rate(one), times(three, one), ">= 1.0x"))
    arrivals = lags.get("arrival at the fake")
    if arrivals:
        rows.append(
            (
                f"lag due -> arrival, p99, {LAG_RATE:,}/s offered (vs p50)",
                f"{percentile(arrivals, 0.99) * 1000:.0f} ms",
                f"{percentile(arrivals, 0.5) * 1000:.0f} ms",
                "",
                "<= 300 ms",
            )
        )
    return rows


if __name__ == "__main__":
    if sys.argv[1:] == ["procrastinate-worker"]:
        asyncio.run(serve_procrastinate())
    elif sys.argv[1:] == ["claim"]:
        with migrated_database("sessionkeeper_bench") as url:
            for line in claim_at_backlogs(Databases(url))[1]:
                print(line)
    else:
        main()
