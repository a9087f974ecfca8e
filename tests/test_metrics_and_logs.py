"""The worker's Prometheus metrics and its logs: a real worker process, a real database, the fake provider, and
real HTTP scrapes parsed by prometheus_client's own parser. No sleeps: the tests poll the database."""

from __future__ import annotations

import io
import json
import logging
import re
import socket
import urllib.request

import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from runner import logs
from runner.scratch import free_loopback_port
from tests.fake_provider import Reply
from tests.helpers import PROJECT
from tests.processes import start_worker, states, stop_worker, wait_for
from tests.seed import add_due_reminders

FAILING_PHONE = "+15550000002"


def scrape(host: str, port: int) -> dict:
    with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = response.read().decode()
    return {family.name: family for family in text_string_to_metric_families(text)}


def value(families: dict, family: str, sample: str | None = None, **labels: str) -> float:
    for s in families[family].samples:
        if s.name == (sample or family) and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    raise AssertionError(f"no sample {sample or family} {labels} in {families[family].samples}")


def add_delayed_reminders(url: str, count: int) -> None:
    """Appointments in three hours: their one-hour reminders are pending and due later."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            """
            SELECT scheduling.create_appointment(
                scheduling.create_person('Later host ' || g, NULL, 'UTC'),
                scheduling.create_person('Later ' || g, '+1556' || lpad(g::text, 7, '0'), 'UTC', TRUE),
                'Haircut', now() + interval '3 hours', now() + interval '4 hours', NULL, 'seed', now())
            FROM generate_series(1, %s) AS g
            """,
            (count,),
        )


def test_metrics_after_sending_and_json_logs(db_url, fake):
    add_due_reminders(db_url, 5)
    add_delayed_reminders(db_url, 2)
    # The provider's error text repeats the token: the log must not.
    fake.script(FAILING_PHONE, Reply(400, 131026, f"Message Undeliverable (token {fake.cloud_token})"))
    port = free_loopback_port()
    worker = start_worker(
        db_url,
        {**fake.cloud_env(), "SESSIONKEEPER_LOG_FORMAT": "json"},
        "--worker-id",
        "m1",
        "--metrics-host",
        "127.0.0.2",
        "--metrics-port",
        str(port),
    )
    try:
        wait_for(lambda: states(db_url)["sent"] == 4 and states(db_url)["failed"] == 1, "4 sent, 1 failed")
        families = wait_for(lambda: _scrape_quietly("127.0.0.2", port), "the metrics server", workers=(worker,))
        with psycopg.connect(db_url) as conn:
            stats = conn.execute("SELECT waiting, delayed, active, failed FROM scheduling.queue_stats").fetchone()
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()  # bound to 127.0.0.2 only
    finally:
        code, out = stop_worker(worker)
    assert code == 0, out

    for family in families.values():
        assert family.documentation.strip(), f"{family.name} has a HELP text"
    assert value(families, "sessionkeeper_reminder_sends", "sessionkeeper_reminder_sends_total", outcome="sent") == 4
    assert (
        value(
            families,
            "sessionkeeper_reminder_sends",
            "sessionkeeper_reminder_sends_total",
            outcome="fail",
            provider_code="131026",
        )
        == 1
    )
    queue = tuple(
        value(families, "sessionkeeper_reminder_queue_depth", state=state)
        for state in ("waiting", "delayed", "active", "failed")
    )
    assert queue == tuple(float(n) for n in stats) and queue[1] >= 2 and queue[3] == 1
    send_count = "sessionkeeper_reminder_send_duration_seconds_count"
    assert value(families, "sessionkeeper_reminder_send_duration_seconds", send_count) == 5
    lag_count = "sessionkeeper_reminder_due_to_sent_seconds_count"
    assert value(families, "sessionkeeper_reminder_due_to_sent_seconds", lag_count) == 4
    assert value(families, "sessionkeeper_database_up") == 1
    assert value(families, "sessionkeeper_reminder_oldest_due_age_seconds") == 0
    assert value(families, "sessionkeeper_halted_senders") == 0
    assert {s.labels["kind"] for s in families["sessionkeeper_session_transitions_last_hour"].samples} >= {
        "created",
        "started",
        "cancelled",
    }
    assert "sessionkeeper_cron_runs_visible" in families

    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert all({"time", "level", "event", "message"} <= set(line) for line in lines), lines
    assert all(line["worker_id"] == "m1" for line in lines if line["event"].startswith("worker."))
    failed = [line for line in lines if line["event"] == "reminder.failed"]
    assert len(failed) == 1, lines
    assert failed[0]["level"] == "WARNING" and failed[0]["provider_code"] == "131026"
    assert failed[0]["worker_id"] == "m1" and failed[0]["reminder_key"]
    assert "***" in failed[0]["message"]
    assert fake.cloud_token not in out
    last = lines[-1]
    assert last["event"] == "worker.stopped" and (last["sent"], last["failed"], last["retried"]) == (4, 1, 0)
    assert re.fullmatch(r"worker m1 stopped: sent 4, retried 0, failed 1, released 0 in \d+\.\d s", last["message"])


def _scrape_quietly(host: str, port: int) -> dict | None:
    try:
        return scrape(host, port)
    except OSError:
        return None


def test_metrics_on_every_interface_and_the_last_line_in_text(db_url, fake):
    add_due_reminders(db_url, 3)
    port = free_loopback_port()
    worker = start_worker(
        db_url, fake.cloud_env(), "--worker-id", "m2", "--metrics-host", "0.0.0.0", "--metrics-port", str(port)
    )
    try:
        wait_for(lambda: states(db_url)["sent"] == 3, "3 sent", workers=(worker,))
        families = wait_for(lambda: _scrape_quietly("127.0.0.1", port), "the metrics server", workers=(worker,))
    finally:
        code, out = stop_worker(worker)
    assert code == 0, out
    assert value(families, "sessionkeeper_reminder_sends", "sessionkeeper_reminder_sends_total", outcome="sent") == 3
    lines = out.strip().splitlines()
    assert re.fullmatch(
        r"\S+Z INFO worker\.stopped worker m2 stopped: sent 3, retried 0, failed 0, released 0 in \d+\.\d s "
        r"worker_id=m2",
        lines[-1],
    ), lines[-1]
    assert re.fullmatch(r"\S+Z INFO worker\.started worker m2 started: .* worker_id=m2", lines[0]), lines[0]


def test_an_unreachable_database_is_a_metric_not_a_failed_scrape():
    from prometheus_client import CollectorRegistry, generate_latest

    from runner.metrics import DatabaseCollector

    registry = CollectorRegistry()
    registry.register(DatabaseCollector(f"postgresql://nobody@127.0.0.1:{free_loopback_port()}/none"))
    families = {f.name: f for f in text_string_to_metric_families(generate_latest(registry).decode())}
    assert value(families, "sessionkeeper_database_up") == 0
    assert "sessionkeeper_reminder_queue_depth" not in families


@pytest.mark.parametrize("log_format", logs.FORMATS)
def test_a_token_never_reaches_the_log(log_format, monkeypatch):
    token = "EAAG-secret-token-4711"
    monkeypatch.setenv("WHATSAPP_CLOUD_TOKEN", token)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "twilio-secret-0815")
    stream = io.StringIO()
    log = logs.EventLog(logs.configure(log_format, stream=stream), "test", worker_id="w9")
    try:
        log.error(f"provider said: invalid token {token}", event="reminder.failed", reminder_key=f"key-{token}")
        log("twilio twilio-secret-0815 and %s literally")
        try:
            raise RuntimeError(f"request failed: Authorization: Bearer {token}")
        except RuntimeError:
            log.logger.exception("send crashed", extra={"event": "sender.crashed"})
        logging.getLogger("aiohttp.client").warning("a library's warning: %s", token)
    finally:
        logs.remove_handler()
    out = stream.getvalue()
    assert token not in out and "twilio-secret-0815" not in out
    assert out.count("***") >= 5, out
    assert len(out.strip().splitlines()) == 4, out
    assert "aiohttp.client" in out.splitlines()[-1]
    if log_format == "json":
        first = json.loads(out.splitlines()[0])
        assert first["level"] == "ERROR" and first["event"] == "reminder.failed" and first["worker_id"] == "w9"
        assert first["reminder_key"] == "key-***"


def test_the_grafana_dashboard_names_only_metrics_that_exist():
    from prometheus_client import generate_latest

    from runner.metrics import WorkerMetrics, snapshot_metrics

    metrics = WorkerMetrics()
    metrics.observe_outcome("sent", None)
    snapshot = {
        "queue": {},
        "oldest_due_age_seconds": None,
        "transitions_last_hour": {},
        "halted_senders": [],
        "failed_cron_runs_last_hour": 0,
    }
    served = {
        s.name for f in text_string_to_metric_families(generate_latest(metrics.registry).decode()) for s in f.samples
    }
    served |= {family.name for family in snapshot_metrics(snapshot)} | {"sessionkeeper_database_up"}
    dashboard = (PROJECT / "deploy" / "grafana" / "sessionkeeper.json").read_text()
    named = set(
        re.findall(r"sessionkeeper_[a-z_]+", json.dumps([p["targets"] for p in json.loads(dashboard)["panels"]]))
    )
    assert named and named <= served, named - served


def test_the_tick_loop_logs_a_lost_database_and_a_failing_tick_as_warnings(db_url):
    import threading

    from runner.loops import Purger, tick_loop

    stream = io.StringIO()
    log = logs.EventLog(logs.configure("json", stream=stream), "tick")
    dead = f"postgresql://postgres:x@127.0.0.1:{free_loopback_port()}/nothing"
    stop = threading.Event()
    try:
        thread = threading.Thread(target=tick_loop, args=(dead, 0.05, stop, log), daemon=True)
        thread.start()
        wait_for(lambda: "retrying in" in stream.getvalue(), "the loop to report the lost database", deadline=30)
        stop.set()
        thread.join(30)
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute("ALTER FUNCTION scheduling.tick(timestamptz) RENAME TO tick_elsewhere")
        stop = threading.Event()
        purger = Purger(every=3600)
        thread = threading.Thread(target=tick_loop, args=(db_url, 0.05, stop, log, purger), daemon=True)
        thread.start()
        wait_for(lambda: "tick failed" in stream.getvalue(), "the loop to report the failing tick", deadline=30)
        stop.set()
        thread.join(30)
    finally:
        stop.set()
        logs.remove_handler()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    problems = [line for line in lines if "retrying in" in line["message"] or "tick failed" in line["message"]]
    assert problems and {line["level"] for line in problems} == {"WARNING"}
    assert {line["event"] for line in problems} == {"tick"}
