"""`sessionkeeper webhook` over real HTTP on 127.0.0.1, connected as a login in sessionkeeper_webhook.

Bodies are shaped as Meta's Cloud API and Twilio document them and signed the way they sign them; the server's
answers and the database afterwards are what is asserted.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from runner.scratch import free_loopback_port
from runner.signatures import meta_signature, twilio_signature
from tests.helpers import PROJECT, SESSIONKEEPER
from tests.login_roles import login_in
from tests.processes import start_webhook, stop_worker

APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
TWILIO_TOKEN = "test-twilio-auth-token"
NOW = datetime(2031, 7, 1, 8, 0, tzinfo=UTC)
PHONE = "+4915112345679"
SENT_ID = "wamid.HBgLNDkxNTExMjM0NTY3ORUCABEYEjQ1"


class Server:
    def __init__(self, process: subprocess.Popen, base: str) -> None:
        self.process = process
        self.base = base

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as answer:
            return answer.code, answer.read().decode()

    def whatsapp(self, payload: dict, *, secret: str | None = APP_SECRET, raw: bytes | None = None):
        body = raw if raw is not None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Hub-Signature-256"] = meta_signature(secret, body)
        return self.request("POST", "/whatsapp", body, headers)

    def twilio(self, form: dict[str, str], *, token: str = TWILIO_TOKEN):
        body = urllib.parse.urlencode(form).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": twilio_signature(token, self.base + "/twilio", form.items()),
        }
        return self.request("POST", "/twilio", body, headers)


def start_server(url: str) -> Server:
    env = {"WHATSAPP_APP_SECRET": APP_SECRET, "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN}
    return Server(*start_webhook(url, env))


def stop_server(server: Server) -> str:
    status, output = stop_worker(server.process)
    assert status == 0, output
    return output


@contextlib.contextmanager
def running_webhook(db_url: str) -> Iterator[Server]:
    """`sessionkeeper webhook` as the webhook role, with the test secrets; stopped (exit 0 checked) after."""
    with login_in(db_url, "sessionkeeper_webhook") as webhook_url:
        running = start_server(webhook_url)
        try:
            yield running
        finally:
            stop_server(running)


@pytest.fixture
def server(db_url):
    with running_webhook(db_url) as running:
        yield running


def book_and_send(conn, *, phone: str = PHONE, provider_id: str = SENT_ID, hours_later: int = 0) -> dict:
    """An appointment whose one reminder (an hour before) the worker has sent, with that provider id."""
    # A host of their own each time, without a phone (a phone belongs to one live person).
    host = conn.execute("SELECT scheduling.create_person('Host', NULL, 'Europe/Berlin')").fetchone()[0]
    person = conn.execute("SELECT scheduling.create_person('Ann', %s, 'Europe/Berlin', TRUE)", (phone,)).fetchone()[0]
    due = NOW + timedelta(hours=hours_later)
    booking = conn.execute(
        "SELECT scheduling.create_appointment(%s, %s, 'Haircut', %s, %s, p_now => %s)",
        (host, person, due + timedelta(hours=1), due + timedelta(hours=1, minutes=30), NOW - timedelta(days=1)),
    ).fetchone()[0]
    reminder, token = conn.execute(
        "SELECT reminder_id, attempt_token FROM scheduling.claim_due_reminders('test', 10, '60 seconds', %s)", (due,)
    ).fetchone()
    conn.execute("SELECT scheduling.record_reminder_sent(%s, %s, %s, %s)", (reminder, token, provider_id, due))
    return {"booking": booking, "reminder": reminder, "person": person}


def cloud_statuses(*statuses: tuple[str, str, int], errors: list | None = None) -> dict:
    """A Cloud API notification with (message id, status, unix time) delivery reports."""
    reports = []
    for message_id, status, at in statuses:
        report = {"id": message_id, "status": status, "timestamp": str(at), "recipient_id": PHONE[1:]}
        if errors and status == "failed":
            report["errors"] = errors
        reports.append(report)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {"statuses": reports}}]}],
    }


def cloud_message(message_id: str, text: str, *, sender: str = PHONE[1:], context: str | None = None) -> dict:
    message = {"from": sender, "id": message_id, "timestamp": "1940000000", "type": "text", "text": {"body": text}}
    if context:
        message["context"] = {"from": "4930000000", "id": context}
    value = {"messaging_product": "whatsapp", "messages": [message]}
    return {"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"value": value}]}]}


def delivery(conn, reminder) -> tuple:
    return conn.execute(
        "SELECT delivery_status::text, delivered_at IS NOT NULL, read_at IS NOT NULL, delivery_error_code "
        "FROM scheduling.reminders WHERE id = %s",
        (reminder,),
    ).fetchone()


def fingerprint(conn) -> tuple:
    """Everything a webhook can change."""
    return conn.execute(
        "SELECT (SELECT count(*) FROM scheduling.provider_events), (SELECT count(*) FROM scheduling.inbound_messages),"
        " (SELECT md5(string_agg(r::text, ',' ORDER BY r.id)) FROM scheduling.reminders AS r),"
        " (SELECT md5(string_agg(b::text, ',' ORDER BY b.id)) FROM scheduling.bookings AS b)"
    ).fetchone()


def booking_status(conn, booking) -> str:
    return conn.execute("SELECT status::text FROM scheduling.bookings WHERE id = %s", (booking,)).fetchone()[0]


def test_verification_handshake_answers_only_the_right_token(server):
    query = urllib.parse.urlencode({"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"})
    assert server.request("GET", f"/whatsapp?{query}") == (200, "42")
    wrong = urllib.parse.urlencode({"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "42"})
    assert server.request("GET", f"/whatsapp?{wrong}")[0] == 403
    assert server.request("GET", "/whatsapp")[0] == 403


def test_signed_statuses_update_the_outbox_row_by_provider_id(server, conn):
    sent = book_and_send(conn)
    status, _ = server.whatsapp(cloud_statuses((SENT_ID, "sent", 1940000000), (SENT_ID, "delivered", 1940000005)))
    assert status == 200
    assert delivery(conn, sent["reminder"]) == ("delivered", True, False, None)
    assert server.whatsapp(cloud_statuses((SENT_ID, "read", 1940000060)))[0] == 200
    assert delivery(conn, sent["reminder"]) == ("read", True, True, None)
    state = conn.execute("SELECT state::text FROM scheduling.reminders WHERE id = %s", (sent["reminder"],)).fetchone()
    assert state == ("sent",), "delivered and read reports never change the outbox state of a sent row"


def test_unsigned_or_wrongly_signed_requests_get_403_and_change_nothing(server, conn):
    sent = book_and_send(conn)
    before = fingerprint(conn)
    payload = cloud_statuses((SENT_ID, "read", 1940000060))
    assert server.whatsapp(payload, secret=None)[0] == 403
    assert server.whatsapp(payload, secret="not-the-secret")[0] == 403
    body = json.dumps(payload).encode()
    tampered = body.replace(b"read", b"failed")
    headers = {"X-Hub-Signature-256": meta_signature(APP_SECRET, body)}
    assert server.request("POST", "/whatsapp", tampered, headers)[0] == 403, "signature of another body"
    assert server.whatsapp(cloud_message("wamid.in-1", "CANCEL"), secret="x")[0] == 403
    assert server.twilio({"MessageSid": "SM1", "MessageStatus": "delivered"}, token="wrong")[0] == 403
    assert fingerprint(conn) == before
    assert booking_status(conn, sent["booking"]) == "confirmed"


def test_a_replayed_notification_changes_nothing_more(server, conn):
    sent = book_and_send(conn)
    payload = cloud_statuses((SENT_ID, "delivered", 1940000005))
    assert server.whatsapp(payload)[0] == 200
    after_first = fingerprint(conn)
    assert server.whatsapp(payload)[0] == 200
    assert fingerprint(conn) == after_first
    cancel = cloud_message("wamid.in-replay", "CANCEL")
    assert server.whatsapp(cancel)[0] == 200
    assert booking_status(conn, sent["booking"]) == "cancelled"
    after_cancel = fingerprint(conn)
    assert server.whatsapp(cancel)[0] == 200
    assert fingerprint(conn) == after_cancel, "the replayed CANCEL did nothing"


def test_out_of_order_and_early_statuses_end_in_the_latest_state(server, conn):
    sent = book_and_send(conn)
    payload = cloud_statuses((SENT_ID, "read", 1940000060), (SENT_ID, "delivered", 1940000005))
    assert server.whatsapp(payload)[0] == 200
    assert server.whatsapp(cloud_statuses((SENT_ID, "sent", 1940000000)))[0] == 200
    assert delivery(conn, sent["reminder"]) == ("read", True, True, None), "read stays, delivered_at is filled"
    # A failure reported before the worker has recorded the send is kept, and applied when the send is recorded.
    errors = [{"code": 131026, "title": "Message undeliverable"}]
    early_id = "wamid.recorded-after-its-status"
    assert server.whatsapp(cloud_statuses((early_id, "failed", 1940000100), errors=errors))[0] == 200
    events = conn.execute(
        "SELECT status::text, reminder_id FROM scheduling.provider_events WHERE provider_message_id = %s", (early_id,)
    ).fetchall()
    assert events == [("failed", None)]
    later = book_and_send(conn, phone="+4915112345680", provider_id=early_id, hours_later=2)
    assert delivery(conn, later["reminder"]) == ("failed", False, False, "131026")


def outbox_state(conn, reminder) -> tuple:
    return conn.execute(
        "SELECT state::text, attempts, next_attempt_at, last_error_code, delivery_error_code "
        "FROM scheduling.reminders WHERE id = %s",
        (reminder,),
    ).fetchone()


def test_late_failure_reports_move_the_sent_row_by_the_send_error_rules(server, conn):
    # Cloud API: 131026 (not a WhatsApp user) is final, 131000 (something went wrong) is retried.
    final = book_and_send(conn, provider_id="wamid.final")
    retried = book_and_send(conn, phone="+4915112345680", provider_id="wamid.retried", hours_later=2)
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "statuses": [
                                {
                                    "id": message_id,
                                    "status": "failed",
                                    "timestamp": "1940000100",
                                    "recipient_id": PHONE[1:],
                                    "errors": [{"code": code, "title": title}],
                                }
                                for message_id, code, title in (
                                    ("wamid.final", 131026, "Message undeliverable"),
                                    ("wamid.retried", 131000, "Something went wrong"),
                                )
                            ]
                        },
                    }
                ],
            }
        ],
    }
    assert server.whatsapp(payload)[0] == 200
    assert outbox_state(conn, final["reminder"]) == ("undelivered", 1, NOW, "131026", "131026")
    # Retried as a failed send would be: 5 s after the send was recorded, or when the recipient's spacing allows
    # (6 s after the claim), whichever is later.
    retry_at = NOW + timedelta(hours=2, seconds=6)
    assert outbox_state(conn, retried["reminder"]) == ("pending", 1, retry_at, "131000", "131000")
    reason = conn.execute(
        "SELECT state_reason FROM scheduling.reminders WHERE id = %s", (final["reminder"],)
    ).fetchone()[0]
    assert reason.startswith("delivery failed: 131026 Message undeliverable, reported for ")
    assert reason.endswith("(Europe/Berlin)")
    stats = conn.execute("SELECT completed, undelivered FROM scheduling.queue_stats").fetchone()
    assert stats == (0, 1), "the undelivered row is not counted as completed"
    before = fingerprint(conn)
    assert server.whatsapp(payload)[0] == 200
    assert fingerprint(conn) == before, "the replayed reports change nothing"

    # Twilio: undelivered with 30001 (queue overflow) is retried, with 63016 (outside the window) it is final.
    for sid, code, phone, hours, state in (
        ("SMretry1", "30001", "+4915112345681", 4, "pending"),
        ("SMfinal1", "63016", "+4915112345682", 6, "undelivered"),
    ):
        sent = book_and_send(conn, phone=phone, provider_id=sid, hours_later=hours)
        form = {"MessageSid": sid, "MessageStatus": "undelivered", "SmsStatus": "undelivered", "ErrorCode": code}
        assert server.twilio(form)[0] == 200
        assert outbox_state(conn, sent["reminder"])[:2] == (state, 1), sid


def test_cancel_reply_cancels_the_next_booking_and_queues_the_confirmation(server, conn):
    sent = book_and_send(conn)
    pending_before = conn.execute(
        "SELECT count(*) FROM scheduling.reminders WHERE booking_id = %s AND state = 'pending'", (sent["booking"],)
    ).fetchone()[0]
    assert server.whatsapp(cloud_message("wamid.in-cancel", "cancel.", context=SENT_ID)) == (200, "ok")
    assert booking_status(conn, sent["booking"]) == "cancelled"
    kinds = conn.execute(
        "SELECT kind::text, state::text FROM scheduling.reminders WHERE booking_id = %s ORDER BY created_at, kind",
        (sent["booking"],),
    ).fetchall()
    assert ("cancellation", "pending") in kinds, "the cancellation message is queued"
    pending_now = [row for row in kinds if row == ("reminder", "pending")]
    assert pending_before >= len(pending_now) == 0, "no reminder is left to go out"
    stored = conn.execute(
        "SELECT action, in_reply_to, from_phone FROM scheduling.inbound_messages WHERE provider_message_id = %s",
        ("wamid.in-cancel",),
    ).fetchone()
    assert stored == ("cancelled_booking", SENT_ID, PHONE)


def test_other_replies_and_unknown_senders_are_stored_and_ignored(server, conn):
    sent = book_and_send(conn)
    assert server.whatsapp(cloud_message("wamid.in-thanks", "Thanks, see you!"))[0] == 200
    assert server.whatsapp(cloud_message("wamid.in-stranger", "CANCEL", sender="4917000000000"))[0] == 200
    assert booking_status(conn, sent["booking"]) == "confirmed"
    actions = conn.execute(
        "SELECT provider_message_id, action FROM scheduling.inbound_messages ORDER BY provider_message_id"
    ).fetchall()
    assert actions == [("wamid.in-stranger", "unknown_sender"), ("wamid.in-thanks", "stored")]


def test_twilio_route_records_statuses_and_cancel_replies(server, conn):
    sent = book_and_send(conn)
    conn.execute("UPDATE scheduling.reminders SET provider_message_id = 'SMabc123' WHERE id = %s", (sent["reminder"],))
    status = {
        "MessageSid": "SMabc123",
        "MessageStatus": "undelivered",
        "ErrorCode": "63016",
        "SmsStatus": "undelivered",
    }
    assert server.twilio(status)[0] == 200
    assert delivery(conn, sent["reminder"]) == ("failed", False, False, "63016")
    reply = {"MessageSid": "SMreply1", "From": f"whatsapp:{PHONE}", "To": "whatsapp:+14155238886", "Body": "CANCEL"}
    answer = server.twilio(reply)
    assert answer[0] == 200 and "<Response>" in answer[1]
    assert booking_status(conn, sent["booking"]) == "cancelled"


def test_bad_payloads_are_refused_without_writing(server, conn):
    book_and_send(conn)
    before = fingerprint(conn)
    assert server.whatsapp({}, raw=b"{not json")[0] == 400
    assert server.whatsapp({"object": "page"})[0] == 400
    assert server.whatsapp({}, raw=b"x" * (2 * 1024 * 1024))[0] == 413
    # Signed but not a phone number: the database refuses the event, the provider gets 200 (no endless retries).
    assert server.whatsapp(cloud_message("wamid.in-bad", "CANCEL", sender="'; DROP TABLE x; --"))[0] == 200
    assert fingerprint(conn) == before


def test_without_a_database_the_provider_is_told_to_retry():
    server = start_server("postgresql://nobody:nothing@127.0.0.1:1/none")
    try:
        assert server.request("GET", "/healthz")[0] == 503
        assert server.whatsapp(cloud_statuses((SENT_ID, "read", 1940000060)))[0] == 503
    finally:
        output = stop_server(server)
    assert "database unavailable" in output


def test_refuses_to_start_with_nothing_to_verify(db_url):
    process = subprocess.run(
        [*SESSIONKEEPER, "--database-url", db_url, "webhook", "--port", str(free_loopback_port())],
        cwd=PROJECT,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert process.returncode == 1
    assert process.stderr.strip().count("\n") == 0 and "WHATSAPP_APP_SECRET" in process.stderr


def test_one_refused_event_does_not_keep_the_others_of_its_request_out(server, conn):
    sent = book_and_send(conn)
    payload = cloud_statuses((SENT_ID, "delivered", 1940000005))
    bad = cloud_message("wamid.in-bad", "hello", sender="not a phone")["entry"][0]["changes"][0]["value"]["messages"]
    good = cloud_message("wamid.in-good", "Thanks!")["entry"][0]["changes"][0]["value"]["messages"]
    payload["entry"][0]["changes"][0]["value"]["messages"] = bad + good
    assert server.whatsapp(payload)[0] == 200
    assert delivery(conn, sent["reminder"]) == ("delivered", True, False, None)
    stored = conn.execute("SELECT provider_message_id, action FROM scheduling.inbound_messages").fetchall()
    assert stored == [("wamid.in-good", "stored")]
