"""STOP and START by WhatsApp reply, end to end: signed webhook posts from the person's phone, a real
`sessionkeeper worker` sending to the loopback fake Cloud API, and what reached the provider as the proof.

The worker and the webhook run on the real clock, so the reminders are made due now (appointments starting in
half an hour, booked an hour ago, the one-hour reminder) and the test polls, bounded, for what it expects.
"""

from __future__ import annotations

import pytest

from tests.fake_provider import FakeProvider
from tests.processes import start_worker, stop_worker, wait_for
from tests.test_webhook import cloud_message, running_webhook

PHONE = "+4915112345679"
CONTROL = "+4915112345690"


@pytest.fixture
def webhook(db_url):
    with running_webhook(db_url) as running:
        yield running


def person(conn, name: str, phone: str) -> str:
    return conn.execute("SELECT scheduling.create_person(%s, %s, 'Europe/Berlin', TRUE)", (name, phone)).fetchone()[0]


def book_due_now(conn, who: str) -> str:
    """An appointment starting in 30 minutes, booked an hour ago: its one-hour reminder is due now. Each with a host
    of its own (no phone), since a host is in one session at a time."""
    return conn.execute(
        "SELECT scheduling.create_appointment(scheduling.create_person('Host', NULL, 'UTC'), %s, 'Haircut', "
        "now() + interval '30 minutes', now() + interval '60 minutes', NULL, 'test', now() - interval '1 hour')",
        (who,),
    ).fetchone()[0]


def reminder(conn, booking: str) -> tuple[str, str, str | None]:
    return conn.execute(
        "SELECT reminder_key, state::text, state_reason FROM scheduling.reminders WHERE booking_id = %s", (booking,)
    ).fetchone()


def sent_to(fake: FakeProvider, phone: str) -> list[str]:
    """The reminder keys the provider accepted for ``phone``, in order."""
    return [a.body["biz_opaque_callback_data"] for a in fake.accepted if a.recipient == phone]


def run_worker_until(db_url, fake, condition, what: str) -> None:
    worker = start_worker(db_url, fake.cloud_env())
    try:
        wait_for(condition, what, workers=(worker,))
    finally:
        code, out = stop_worker(worker)
    assert code == 0, out


def test_stop_by_reply_stops_the_worker_and_start_lets_the_next_booking_through(db_url, fake, conn, webhook):
    ann = person(conn, "Ann", PHONE)

    # A reminder reaches Ann, as usual.
    first = book_due_now(conn, ann)
    run_worker_until(db_url, fake, lambda: sent_to(fake, PHONE), "Ann's first reminder")
    assert sent_to(fake, PHONE) == [reminder(conn, first)[0]]

    # Another falls due; before it goes out, Ann replies STOP.
    second = book_due_now(conn, ann)
    assert reminder(conn, second)[1] == "pending"
    assert webhook.whatsapp(cloud_message("wamid.in-stop", "Stop!", sender=PHONE[1:]))[0] == 200
    assert conn.execute(
        "SELECT action FROM scheduling.inbound_messages WHERE provider_message_id = 'wamid.in-stop'"
    ).fetchone() == ("opted_out",)
    key, state, reason = reminder(conn, second)
    assert state == "skipped"
    assert reason.startswith("opted out by reply at ") and reason.endswith("(Europe/Berlin)"), reason
    assert conn.execute(
        "SELECT consent, source, actor FROM scheduling.consent_changes WHERE person_id = %s", (ann,)
    ).fetchall() == [(False, "reply", "whatsapp reply")]

    # The worker runs again and sends someone else's due reminder, but nothing more to Ann.
    other = person(conn, "Bea", CONTROL)
    book_due_now(conn, other)
    run_worker_until(db_url, fake, lambda: sent_to(fake, CONTROL), "the other person's reminder")
    assert sent_to(fake, PHONE) == [reminder(conn, first)[0]], "nothing more reached Ann after STOP"
    assert reminder(conn, second)[1] == "skipped"

    # START (by Twilio this time, same phone) gives consent again: the next booking's reminder goes out; the
    # skipped one stays skipped.
    form = {"MessageSid": "SMstart1", "From": f"whatsapp:{PHONE}", "To": "whatsapp:+14155238886", "Body": "START"}
    assert webhook.twilio(form)[0] == 200
    assert conn.execute("SELECT whatsapp_consent FROM scheduling.people WHERE id = %s", (ann,)).fetchone() == (True,)
    third = book_due_now(conn, ann)
    run_worker_until(db_url, fake, lambda: len(sent_to(fake, PHONE)) == 2, "Ann's reminder after START")
    assert sent_to(fake, PHONE) == [reminder(conn, first)[0], reminder(conn, third)[0]]
    assert reminder(conn, second)[1] == "skipped", key

    # A replayed STOP (the provider resending its webhook) does nothing the second time.
    assert webhook.whatsapp(cloud_message("wamid.in-stop", "Stop!", sender=PHONE[1:]))[0] == 200
    assert conn.execute("SELECT whatsapp_consent FROM scheduling.people WHERE id = %s", (ann,)).fetchone() == (True,)
    assert conn.execute("SELECT count(*) FROM scheduling.consent_changes").fetchone() == (2,)
