"""The reminder worker end to end: real `sessionkeeper worker` processes, a real database, and a loopback
server answering as the WhatsApp Cloud API does.

The worker runs on the real clock (leases, backoff), so these tests poll the database for the state
they expect, bounded by a deadline; nothing sleeps for a fixed time. The process helpers live in
tests/processes.py; the fault tests (a killed worker, a restarted database, ...) in tests/faults/.
"""

from __future__ import annotations

from collections import Counter

import psycopg

from tests.fake_provider import Reply
from tests.processes import start_worker, states, stop_worker, wait_for
from tests.seed import add_due_reminders

# Kept importable from here for other test modules: start_worker, stop_worker, wait_for, states.
__all__ = ["start_worker", "states", "stop_worker", "wait_for"]


def phone(number: int) -> str:
    return f"+1555{number:07d}"


def set_rate(url: str, per_second: float) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT scheduling.set_send_rate('cloud_api:1098765432101234', %s)", (per_second,))


def test_due_reminders_are_sent_once_with_the_provider_id_kept(db_url, fake):
    add_due_reminders(db_url, 20)
    worker = start_worker(db_url, fake.cloud_env())
    try:
        wait_for(lambda: states(db_url)["sent"] == 20, "20 sent reminders", workers=(worker,))
    finally:
        code, out = stop_worker(worker)
    assert code == 0, out
    assert "Traceback" not in out
    assert len(fake.accepted) == 20
    with psycopg.connect(db_url) as conn:
        rows = conn.execute("SELECT reminder_key, provider_message_id FROM scheduling.reminders").fetchall()
    sent_ids = {a.message_id for a in fake.accepted}
    assert {provider_id for _, provider_id in rows} == sent_ids
    assert {a.body["biz_opaque_callback_data"] for a in fake.accepted} == {key for key, _ in rows}


def test_failures_follow_their_class(db_url, fake):
    add_due_reminders(db_url, 3)
    fake.script(phone(1), Reply(400, 131026, "Message Undeliverable"))
    fake.script(phone(2), Reply(429, 130429, "Rate limit hit"))
    worker = start_worker(db_url, fake.cloud_env())
    try:
        wait_for(lambda: states(db_url)["sent"] == 1 and states(db_url)["failed"] == 1, "one sent, one failed")
        wait_for(lambda: states(db_url)["pending"] == 1, "the rate-limited one back in the queue")
    finally:
        code, out = stop_worker(worker)
    assert code == 0, out
    with psycopg.connect(db_url) as conn:
        rows = dict(
            (recipient, (state, attempts, error_code, on_time))
            for recipient, state, attempts, error_code, on_time in conn.execute(
                """
                SELECT p.phone, r.state::text, r.attempts, r.last_error_code,
                       r.next_attempt_at = greatest(r.updated_at + interval '5 seconds', rp.next_allowed_at)
                FROM scheduling.reminders AS r JOIN scheduling.people AS p ON p.id = r.person_id
                LEFT JOIN scheduling.recipient_pacing AS rp ON rp.person_id = r.person_id
                """
            )
        )
    assert rows[phone(1)][:3] == ("failed", 1, "131026")
    assert rows[phone(2)] == ("pending", 1, "130429", True), (
        "first retry 5 s after the first failure, or when the recipient's spacing allows, whichever is later"
    )
    assert rows[phone(3)][0] == "sent"


def test_expired_token_halts_the_number_loudly_and_touches_nothing(db_url, fake):
    add_due_reminders(db_url, 5)
    worker = start_worker(db_url, {**fake.cloud_env(), "WHATSAPP_CLOUD_TOKEN": "expired-token"})

    def halted() -> bool:
        with psycopg.connect(db_url) as conn:
            return conn.execute("SELECT halted_senders FROM scheduling.queue_stats").fetchone()[0] == [
                "cloud_api:1098765432101234"
            ]

    try:
        wait_for(halted, "the number halted", workers=(worker,))
        wait_for(lambda: states(db_url)["pending"] == 5, "the rows given back", workers=(worker,))
    finally:
        code, out = stop_worker(worker)
    assert code == 0, out  # the halt lives in the database (tests/test_sender_halts.py); the worker waited
    assert "SENDING STOPPED" in out and "190" in out
    assert "expired-token" not in out, "tokens never appear in logs"
    with psycopg.connect(db_url) as conn:
        rows = conn.execute("SELECT state::text, attempts FROM scheduling.reminders").fetchall()
    assert rows and all(row == ("pending", 0) for row in rows)


def test_three_workers_deliver_5000_reminders_exactly_once(db_url, fake):
    add_due_reminders(db_url, 5000)
    set_rate(db_url, 1000)
    workers = [start_worker(db_url, fake.cloud_env(), "--worker-id", f"w{n}") for n in range(3)]
    try:
        wait_for(lambda: states(db_url)["sent"] == 5000, "5000 sent reminders", deadline=180, workers=tuple(workers))
    finally:
        outcomes = [stop_worker(w) for w in workers]
    assert all(code == 0 for code, _ in outcomes), outcomes
    keys = Counter(a.body["biz_opaque_callback_data"] for a in fake.accepted)
    assert len(keys) == 5000
    assert max(keys.values()) == 1, "no reminder reached the provider twice"
    with psycopg.connect(db_url) as conn:
        by_worker = dict(conn.execute("SELECT leased_by, count(*) FROM scheduling.reminders GROUP BY 1").fetchall())
    assert set(by_worker) == {"w0", "w1", "w2"}, f"all three workers shared the work: {by_worker}"


def test_the_rate_limit_holds_across_processes(db_url, fake):
    total, rate = 200, 50
    add_due_reminders(db_url, total)
    set_rate(db_url, rate)
    workers = [start_worker(db_url, fake.cloud_env(), "--worker-id", f"r{n}") for n in range(2)]
    try:
        wait_for(lambda: states(db_url)["sent"] == total, "sent under the rate limit", workers=tuple(workers))
    finally:
        for worker in workers:
            stop_worker(worker)
    assert len(fake.accepted) == total
    # Token bucket shared by both processes: one second of burst (50), then 50 per second. What the limit
    # governs is when sends are granted, so measure that: each row is leased right after its lane took its
    # tokens, and the lease is in the row's history at the database's clock. (Arrival times at the fake
    # provider add the HTTP jitter of a busy machine, which no limiter can control.) A bucket that each
    # process kept for itself would give about twice the rate.
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT extract(epoch FROM h.happened_at)::float8 FROM scheduling.reminder_state_history AS h "
            "WHERE h.to_state = 'leased' ORDER BY h.happened_at"
        ).fetchall()
    times = [row[0] for row in rows]
    assert len(times) == total, "every row was leased once"
    sustained = (total - rate) / (times[-1] - times[0])
    assert sustained <= rate * 1.1, f"{sustained:.1f} messages/s after the burst"
    busiest = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert busiest <= 2 * rate * 1.1, busiest
