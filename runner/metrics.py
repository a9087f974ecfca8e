"""The worker's Prometheus metrics (prometheus_client): what it observes itself, and what the database says.

In-process (observed by the worker where it records outcomes):

* ``sessionkeeper_reminder_sends_total{outcome, provider_code}``: recorded send outcomes.
* ``sessionkeeper_reminder_send_duration_seconds``: how long the provider call took.
* ``sessionkeeper_reminder_due_to_sent_seconds``: from a reminder's due time to its recorded send.

From the database, read at scrape time by `DatabaseCollector` through one call (scheduling.metrics_snapshot): queue
depth by state, the oldest due reminder's age, session transitions of the last hour by kind, failed pg_cron runs
of the last hour (when pg_cron lives in the application database), and halted sending numbers.

`metrics_handler` is an aiohttp handler serving a registry, for any aiohttp app that wants a ``/metrics`` route;
`serve_metrics` runs a small server of its own (the worker's ``--metrics-host``/``--metrics-port``).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterator

import psycopg
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

SNAPSHOT_SQL = "SELECT scheduling.metrics_snapshot()"
# session_status_history.action: reported as 0 when absent, so that dashboards see every kind.
TRANSITION_KINDS = (
    "created",
    "started",
    "delayed",
    "completed",
    "cancelled",
    "no_show",
    "rescheduled",
    "deleted",
    "skipped",
    "failed",
)
QUEUE_STATES = ("waiting", "delayed", "active", "failed")
SEND_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, math.inf)
LAG_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, math.inf)


class WorkerMetrics:
    """The worker's metrics on a registry of their own (by default a new one: several workers in one process,
    as in tests, never share counters)."""

    def __init__(self, registry: CollectorRegistry | None = None, database_url: str | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.sends = Counter(
            "sessionkeeper_reminder_sends",
            "Send outcomes the worker recorded in the database, by outcome (sent; retry: will be tried again; fail: "
            "closed as failed; released: given back untouched after the sender was halted) and the provider's "
            "error code (none for a sent message).",
            ["outcome", "provider_code"],
            registry=self.registry,
        )
        self.send_seconds = Histogram(
            "sessionkeeper_reminder_send_duration_seconds",
            "Seconds one call to the provider (the sender) took, whatever its outcome.",
            buckets=SEND_BUCKETS,
            registry=self.registry,
        )
        self.due_to_sent = Histogram(
            "sessionkeeper_reminder_due_to_sent_seconds",
            "Seconds from a reminder's due time to the worker recording it sent (queueing, quiet hours, retries "
            "and the send itself).",
            buckets=LAG_BUCKETS,
            registry=self.registry,
        )
        if database_url is not None:
            self.registry.register(DatabaseCollector(database_url))

    def observe_send_seconds(self, seconds: float) -> None:
        self.send_seconds.observe(max(seconds, 0.0))

    def observe_outcome(self, outcome: str, provider_code: str | None) -> None:
        self.sends.labels(outcome=outcome, provider_code=provider_code or "none").inc()

    def observe_due_to_sent(self, seconds: float) -> None:
        self.due_to_sent.observe(max(seconds, 0.0))


class DatabaseCollector(Collector):
    """Reads scheduling.metrics_snapshot at each scrape (one short connection, one call). An unreachable database
    gives ``sessionkeeper_database_up 0`` and no database figures, never a failed scrape."""

    def __init__(self, url: str, connect: Callable[[str], psycopg.Connection] | None = None) -> None:
        self.url = url
        self.connect = connect or (lambda url: psycopg.connect(url, autocommit=True, connect_timeout=5))

    def describe(self) -> list[Metric]:
        return []  # registering must not query the database

    def collect(self) -> Iterator[Metric]:
        try:
            with self.connect(self.url) as conn:
                snapshot = conn.execute(SNAPSHOT_SQL).fetchone()[0]
        except psycopg.Error:
            yield GaugeMetricFamily(
                "sessionkeeper_database_up", "1 when the last scrape read the database figures, else 0.", value=0
            )
            return
        yield GaugeMetricFamily(
            "sessionkeeper_database_up", "1 when the last scrape read the database figures, else 0.", value=1
        )
        yield from snapshot_metrics(snapshot)


def snapshot_metrics(snapshot: dict) -> Iterator[Metric]:
    """The metric families of one scheduling.metrics_snapshot result."""
    queue = GaugeMetricFamily(
        "sessionkeeper_reminder_queue_depth",
        "Outbox rows by state now: waiting (pending and due), delayed (pending, due later), active (leased by a "
        "worker), failed (closed as failed, until retried or purged).",
        labels=["state"],
    )
    for state in QUEUE_STATES:
        queue.add_metric([state], snapshot["queue"].get(state, 0))
    yield queue
    yield GaugeMetricFamily(
        "sessionkeeper_reminder_oldest_due_age_seconds",
        "Seconds the oldest due reminder (pending and due, or leased with an expired lease) has waited; 0 when "
        "nothing is due.",
        value=snapshot.get("oldest_due_age_seconds") or 0,
    )
    transitions = GaugeMetricFamily(
        "sessionkeeper_session_transitions_last_hour",
        "Session status changes recorded in the last hour (session_status_history rows whose logical time lies in "
        "the hour up to the scrape), by kind (created, started, delayed, completed, cancelled, ...).",
        labels=["kind"],
    )
    counts = snapshot.get("transitions_last_hour") or {}
    for kind in sorted({*TRANSITION_KINDS, *counts}):
        transitions.add_metric([kind], counts.get(kind, 0))
    yield transitions
    halted = snapshot.get("halted_senders") or []
    yield GaugeMetricFamily(
        "sessionkeeper_halted_senders",
        "Sending numbers with a standing halt: nothing is sent as them until `sessionkeeper resume-sending`.",
        value=len(halted),
    )
    per_number = GaugeMetricFamily(
        "sessionkeeper_sender_halted", "1 for each sending number with a standing halt.", labels=["sending_number"]
    )
    for number in halted:
        per_number.add_metric([number], 1)
    yield per_number
    failed_runs = snapshot.get("failed_cron_runs_last_hour")
    yield GaugeMetricFamily(
        "sessionkeeper_cron_runs_visible",
        "1 when pg_cron's run history of sessionkeeper's jobs is readable from the application database (so "
        "sessionkeeper_cron_failed_runs_last_hour is reported), 0 when pg_cron lives elsewhere or hides the rows.",
        value=int(failed_runs is not None),
    )
    if failed_runs is not None:
        yield GaugeMetricFamily(
            "sessionkeeper_cron_failed_runs_last_hour",
            "pg_cron runs of sessionkeeper's jobs that failed in the last hour.",
            value=failed_runs,
        )


def metrics_handler(registry: CollectorRegistry) -> Callable[[web.Request], asyncio.Future]:
    """An aiohttp handler serving ``registry`` in Prometheus' text format; the database collector's query runs in
    a thread, so a scrape never blocks the event loop."""

    async def metrics(request: web.Request) -> web.Response:
        body = await asyncio.to_thread(generate_latest, registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return metrics


async def serve_metrics(registry: CollectorRegistry, host: str, port: int) -> web.AppRunner:
    """Serve ``registry`` on http://host:port/metrics until the returned runner is cleaned up."""
    app = web.Application()
    app.router.add_get("/metrics", metrics_handler(registry))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
