"""Operator commands on the reminder queue: stats, reminders, retry-failed, healthcheck, demo, run --demo."""

from __future__ import annotations

import json
import os
import signal
import subprocess

import psycopg

from tests.helpers import SESSIONKEEPER, run_cli
from tests.seed import add_due_reminders


def env_for(url: str) -> dict[str, str]:
    return {"SESSIONKEEPER_DATABASE_URL": url}


def test_stats_prints_the_queue_as_text_and_json(db_url):
    add_due_reminders(db_url, 3)
    text = run_cli("stats", env=env_for(db_url))
    assert text.returncode == 0, text.stderr
    assert "waiting=3" in text.stdout
    as_json = run_cli("stats", "--json", env=env_for(db_url))
    stats = json.loads(as_json.stdout)
    assert stats["waiting"] == 3 and stats["failed"] == 0 and stats["uncertain"] == 0


def test_reminders_lists_one_booking_and_refuses_unknown_ids(db_url):
    add_due_reminders(db_url, 1)
    with psycopg.connect(db_url) as conn:
        booking = str(conn.execute("SELECT id FROM scheduling.bookings").fetchone()[0])
    listed = run_cli("reminders", booking, env=env_for(db_url))
    assert listed.returncode == 0, listed.stderr
    assert f"{booking}-reminder-1" in listed.stdout and "pending" in listed.stdout
    unknown = run_cli("reminders", "00000000-0000-0000-0000-000000000000", env=env_for(db_url))
    assert unknown.returncode == 1 and unknown.stderr.startswith("error: no booking")
    garbage = run_cli("reminders", "not-a-uuid", env=env_for(db_url))
    assert garbage.returncode == 1 and "is not a booking id" in garbage.stderr
    assert "Traceback" not in garbage.stderr


def test_retry_failed_requeues_failed_rows_by_code(db_url):
    add_due_reminders(db_url, 2)
    with psycopg.connect(db_url, autocommit=True) as conn:
        claimed = conn.execute("SELECT reminder_id, attempt_token FROM scheduling.claim_due_reminders('t')").fetchall()
        for (reminder, token), code in zip(claimed, ["132001", "131026"], strict=True):
            conn.execute(
                "SELECT scheduling.record_reminder_failure(%s, %s, %s, 'permanent', false)", (reminder, token, code)
            )
    result = run_cli("retry-failed", "--code", "132001", env=env_for(db_url))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "re-queued 1 failed reminder(s)"
    with psycopg.connect(db_url) as conn:
        states = dict(conn.execute("SELECT last_error_code, state::text FROM scheduling.reminders").fetchall())
    assert states == {"132001": "pending", "131026": "failed"}


def test_healthcheck_exit_status_follows_health(db_url):
    add_due_reminders(db_url, 1)
    unhealthy = run_cli("healthcheck", env=env_for(db_url))
    assert unhealthy.returncode == 1, unhealthy.stdout
    assert unhealthy.stdout.startswith("unhealthy:")
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("SELECT scheduling.worker_heartbeat('w1', 'console')")
        conn.execute("SELECT scheduling.tick()")
        conn.execute("UPDATE scheduling.reminders SET next_attempt_at = now() + interval '1 hour'")
    healthy = run_cli("healthcheck", env=env_for(db_url))
    assert healthy.returncode == 0, healthy.stdout
    down = run_cli("healthcheck", env={"SESSIONKEEPER_DATABASE_URL": "postgresql://x@127.0.0.1:1/none"})
    assert down.returncode == 2


def test_run_with_demo_prints_reminders_through_the_console_sender(db_url):
    env = {**os.environ, "SESSIONKEEPER_DATABASE_URL": db_url, "SESSIONKEEPER_TICK_INTERVAL": "60"}
    for name in ("WHATSAPP_CLOUD_TOKEN", "WHATSAPP_ACCOUNT_SID", "SESSIONKEEPER_SENDER"):
        env.pop(name, None)
    process = subprocess.Popen(
        [*SESSIONKEEPER, "run", "--demo"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    seen: list[str] = []
    try:
        for line in process.stdout:
            seen.append(line)
            if "[whatsapp → +15555550104" in line:
                break
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    output = "".join(seen)
    assert "demo: added 3 appointments" in output
    assert "Diego Ramos (demo)" in output and "cancelled" in output.split("[whatsapp → +15555550104", 1)[1]
    assert process.returncode == 0, rest
