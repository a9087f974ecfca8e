"""Halts that last: a provider refusing the sender itself halts its sending number in the database, for every
worker sending as it; a restarted worker with the same bad token sends nothing; `sessionkeeper resume-sending
[--probe]` lifts the halt, and the rows go out exactly once.

Real `sessionkeeper worker` processes against a real database and the loopback fake provider. Nothing sleeps for a
fixed time: the tests poll the database (the halt, the rows, the workers' idle connections) under a deadline.
"""

from __future__ import annotations

import urllib.request
from collections import Counter

import psycopg

from runner.scratch import free_loopback_port
from tests.fake_provider import PHONE_NUMBER_ID, FakeProvider
from tests.helpers import run_cli
from tests.processes import start_worker, states, stop_worker, wait_for
from tests.seed import add_due_reminders

NUMBER = f"cloud_api:{PHONE_NUMBER_ID}"
LANES = "2"


def bad_env(fake: FakeProvider) -> dict[str, str]:
    return {**fake.cloud_env(), "WHATSAPP_CLOUD_TOKEN": "expired-token"}


def standing_halt(url: str) -> tuple | None:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT error_code, halted_by FROM scheduling.sender_halts WHERE sending_number = %s AND lifted_at IS NULL",
            (NUMBER,),
        ).fetchone()


def untouched(url: str, count: int) -> bool:
    """Every row still pending with no attempt used."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT state::text, attempts FROM scheduling.reminders").fetchall()
    return len(rows) == count and all(row == ("pending", 0) for row in rows)


def server_time(url: str):
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT clock_timestamp()").fetchone()[0]


def lanes_waiting_for_tokens(url: str, since) -> int:
    """Connections opened since ``since`` whose last query asked when send tokens come back: worker lanes idle
    because none were granted (the worker's own state, read from the server)."""
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND state = 'idle' "
            "AND backend_start >= %s AND query LIKE '%%seconds_until_send_tokens%%'",
            (since,),
        ).fetchone()[0]


def start_idle_worker(url: str, env: dict[str, str], *extra: str):
    """A worker whose every lane was refused send tokens and sleeps (the number is halted)."""
    since = server_time(url)
    worker = start_worker(url, env, "--lanes", LANES, *extra)
    wait_for(lambda: lanes_waiting_for_tokens(url, since) >= int(LANES), "every lane idle", workers=(worker,))
    return worker


def halted_gauge(port: int) -> int:
    """The worker's sessionkeeper_halted_senders gauge (standing halts, as the database says at the scrape)."""
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        metrics = response.read().decode()
    families = {family.name: family for family in text_string_to_metric_families(metrics)}
    return int(families["sessionkeeper_halted_senders"].samples[0].value)


def halt_the_number(url: str, fake: FakeProvider, count: int) -> None:
    """A worker with an expired token meets 190, halts the number, gives its rows back and keeps running."""
    since = server_time(url)
    worker = start_worker(url, bad_env(fake), "--worker-id", "first", "--lanes", LANES)
    try:
        wait_for(lambda: standing_halt(url), "the halt recorded", workers=(worker,))
        wait_for(lambda: untouched(url, count), "the rows given back untouched", workers=(worker,))
        # The lane that met the refusal is refused tokens next (the other may be asleep until its next look).
        wait_for(lambda: lanes_waiting_for_tokens(url, since) >= 1, "a lane refused tokens", workers=(worker,))
        assert worker.poll() is None, "a halted worker keeps running"
    finally:
        code, out = stop_worker(worker)
    assert code == 0, out
    assert standing_halt(url) == ("190", "first")
    assert out.count("SENDING STOPPED") == 1, out
    assert f"sessionkeeper resume-sending {NUMBER}" in out
    assert "expired-token" not in out, "tokens never appear in logs"


def test_a_halt_stops_every_worker_on_the_number(db_url, fake):
    add_due_reminders(db_url, 5)
    halt_the_number(db_url, fake, 5)
    # A second worker on the same number, with a token the provider accepts: it claims nothing while the halt stands.
    second = start_idle_worker(db_url, fake.cloud_env(), "--worker-id", "second")
    try:
        assert fake.accepted == []
        assert untouched(db_url, 5)
        with psycopg.connect(db_url) as conn:
            assert conn.execute("SELECT halted_senders FROM scheduling.queue_stats").fetchone()[0] == [NUMBER]
        health = run_cli("--database-url", db_url, "healthcheck")
        assert health.returncode == 1
        assert f"sending number {NUMBER} is halted since" in health.stdout and "code 190" in health.stdout
        lifted = run_cli("--database-url", db_url, "resume-sending", NUMBER)
        assert lifted.returncode == 0, lifted.stderr
        assert lifted.stdout.startswith(f"resumed {NUMBER}:"), lifted.stdout
        # The NOTIFY of the lift wakes the idle lanes: the rows go out at once, each once.
        wait_for(lambda: states(db_url)["sent"] == 5, "5 sent after the lift", deadline=20, workers=(second,))
    finally:
        code, out = stop_worker(second)
    assert code == 0, out
    assert out.count(f"sending number {NUMBER} is halted since") == 1, out
    assert "the halt was lifted" in out
    keys = Counter(a.body["biz_opaque_callback_data"] for a in fake.accepted)
    assert len(keys) == 5 and max(keys.values()) == 1, "each row went out exactly once"


def test_a_restarted_worker_sends_nothing_until_resume_sending_probes_and_lifts(db_url, fake):
    add_due_reminders(db_url, 3)
    halt_the_number(db_url, fake, 3)
    fake.requests.clear()

    # Restarted with the same bad token: one line saying why, then nothing at all reaches the provider.
    port = free_loopback_port()
    again = start_idle_worker(db_url, bad_env(fake), "--metrics-port", str(port))
    try:
        assert fake.requests == [], "a worker started while its number is halted makes no request"
        assert halted_gauge(port) == 1

        # --probe with the token still refused: the provider's code and message, and the halt stays.
        refused = run_cli("--database-url", db_url, "resume-sending", NUMBER, "--probe", env=bad_env(fake))
        assert refused.returncode == 1
        assert refused.stderr.startswith("error: cloud_api still refuses the sender (code 190:"), refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
        assert standing_halt(db_url) == ("190", "first")
        assert fake.requests == [("GET", f"/v21.0/{PHONE_NUMBER_ID}")], "the probe only reads the phone number"
        assert untouched(db_url, 3)
    finally:
        code, out = stop_worker(again)
    assert code == 0, out
    lines = [line for line in out.splitlines() if "is halted since" in line]
    assert len(lines) == 1 and "(code 190:" in lines[0] and f"sessionkeeper resume-sending {NUMBER}" in lines[0], out

    # The operator's fix: the right token in the environment, the worker restarted, then resume-sending --probe.
    fixed = start_idle_worker(db_url, fake.cloud_env(), "--metrics-port", str(port))
    try:
        assert fake.accepted == []
        lifted = run_cli("--database-url", db_url, "resume-sending", NUMBER, "--probe", env=fake.cloud_env())
        assert lifted.returncode == 0, lifted.stderr
        wait_for(lambda: states(db_url)["sent"] == 3, "3 sent after the lift", deadline=20, workers=(fixed,))
        wait_for(lambda: halted_gauge(port) == 0, "the halted gauge back to 0", deadline=20, workers=(fixed,))
    finally:
        code, out = stop_worker(fixed)
    assert code == 0, out
    assert standing_halt(db_url) is None
    keys = Counter(a.body["biz_opaque_callback_data"] for a in fake.accepted)
    assert len(keys) == 3 and max(keys.values()) == 1, "each row went out exactly once"
    with psycopg.connect(db_url) as conn:
        history = conn.execute("SELECT error_code, lifted_by IS NOT NULL FROM scheduling.sender_halts").fetchall()
    assert history == [("190", True)], "the lifted halt is kept"


def test_resume_sending_refuses_a_number_that_is_not_halted(db_url):
    result = run_cli("--database-url", db_url, "resume-sending", NUMBER)
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: sending number {NUMBER} is not halted: nothing to resume"
