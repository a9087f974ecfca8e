"""Delivery reports through `sessionkeeper webhook`, and what SECURITY DEFINER costs per call.

Measured in the same run, on the same database:
* the SQL floor: scheduling.record_delivery_status called in a loop over one connection;
* the same function body without SECURITY DEFINER and its fixed search_path (a copy made for the run), to
  show what the least-privilege wrapper costs per call;
* the webhook process, connected as a login in sessionkeeper_webhook: signed Cloud API notifications POSTed
  over loopback by 16 concurrent clients, one report per POST and 50 per POST (Meta batches them).
Each round reports a fresh status (sent, then delivered, then read) for every message, so every call changes a row.
"""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
from support import connect, migrated_database, print_table

from runner.signatures import meta_signature
from tests.login_roles import login_in
from tests.processes import start_webhook, stop_worker
from tests.seed import add_due_reminders

MESSAGES = 6_000
SECRET = "bench-secret"
CLIENTS = 16


def mark_sent(url: str) -> None:
    with connect(url, autocommit=True) as conn:
        conn.execute(
            "UPDATE scheduling.reminders SET state = 'sent', sent_at = now(), attempts = 1, "
            "provider_message_id = 'wamid.bench-' || substr(reminder_key, 1, 36)"
        )
        # Statistics as autovacuum would have them by now; without them the planner may scan every reminder.
        conn.execute("ANALYZE scheduling.reminders")


def message_ids(url: str) -> list[str]:
    with connect(url, autocommit=True) as conn:
        rows = conn.execute("SELECT provider_message_id FROM scheduling.reminders ORDER BY 1").fetchall()
    return [row[0] for row in rows]


def sql_loop(url: str, ids: list[str], status: str, function: str) -> float:
    with connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        for message_id in ids:
            conn.execute(f"SELECT {function}('whatsapp', %s, %s)", (message_id, status))
        return time.perf_counter() - started


def make_invoker_copy(url: str) -> str:
    """scheduling.record_delivery_status as SECURITY INVOKER without SET search_path, under another name."""
    with connect(url, autocommit=True) as conn:
        definition = conn.execute(
            "SELECT pg_get_functiondef('scheduling.record_delivery_status(text, text, text, timestamptz, text, text, "
            "timestamptz, boolean)'::regprocedure)"
        ).fetchone()[0]
        copy = (
            definition.replace("scheduling.record_delivery_status(", "scheduling.bench_record_delivery_status(")
            .replace(" SECURITY DEFINER", "")
            .replace("\n SET search_path TO 'pg_catalog', 'scheduling', 'pg_temp'", "")
        )
        assert "SECURITY DEFINER" not in copy and "search_path" not in copy.split("AS $function$")[0]
        conn.execute(copy)
    return "scheduling.bench_record_delivery_status"


def notification(ids: list[str], status: str) -> bytes:
    reports = [{"id": message_id, "status": status, "timestamp": "1940000000"} for message_id in ids]
    payload = {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": {"statuses": reports}}]}]}
    return json.dumps(payload).encode()


async def post_all(base: str, bodies: list[bytes]) -> float:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)

    async def client(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            headers = {"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(SECRET, body)}
            async with session.post(f"{base}/whatsapp", data=body, headers=headers) as answer:
                assert answer.status == 200, await answer.text()

    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(CLIENTS)))
        return time.perf_counter() - started


def main() -> None:
    with migrated_database() as url:
        add_due_reminders(url, MESSAGES)
        mark_sent(url)
        ids = message_ids(url)
        third = len(ids) // 3
        invoker = make_invoker_copy(url)
        # Three slices so each measurement changes rows that nothing else has touched.
        definer_s = sql_loop(url, ids[:third], "delivered", "scheduling.record_delivery_status")
        invoker_s = sql_loop(url, ids[third : 2 * third], "delivered", invoker)
        floor_rate = third / definer_s
        rows = [
            ("SQL loop, SECURITY DEFINER (floor)", f"{floor_rate:,.0f} /s", f"{definer_s / third * 1e6:.0f} µs/call"),
            ("SQL loop, invoker copy", f"{third / invoker_s:,.0f} /s", f"{invoker_s / third * 1e6:.0f} µs/call"),
        ]
        with login_in(url, "sessionkeeper_webhook") as webhook_url:
            process, base = start_webhook(webhook_url, {"WHATSAPP_APP_SECRET": SECRET})
            try:
                single = [notification([message_id], "read") for message_id in ids[:third]]
                single_s = asyncio.run(post_all(base, single))
                batched = [notification(ids[i : i + 50], "read") for i in range(third, 2 * third, 50)]
                batched_s = asyncio.run(post_all(base, batched))
            finally:
                stop_worker(process)
        single_rate, batched_rate = third / single_s, third / batched_s
        rows += [
            ("webhook, 1 report per POST", f"{single_rate:,.0f} /s", f"{single_rate / floor_rate:.2f}x the floor"),
            ("webhook, 50 reports per POST", f"{batched_rate:,.0f} /s", f"{batched_rate / floor_rate:.2f}x the floor"),
        ]
        print_table(f"Delivery reports ({third:,} per measurement, {CLIENTS} HTTP clients)", rows)
        print(f"  SECURITY DEFINER + SET search_path costs {(definer_s - invoker_s) / third * 1e6:+.0f} µs per call")


if __name__ == "__main__":
    main()
