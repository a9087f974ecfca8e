"""Senders over real HTTP to a loopback server answering as the Cloud API and Twilio document."""

from __future__ import annotations

import asyncio
import json
import uuid

import aiohttp
import pytest

from runner.errors import SessionkeeperError
from runner.outbound import OutboundMessage, Verdict
from runner.scratch import free_loopback_port
from runner.senders import build_sender
from runner.senders.classify import delivery_failure_retryable
from tests.fake_provider import Reply

PHONE = "+4915112345678"


def message(**overrides) -> OutboundMessage:
    values = dict(
        reminder_id=uuid.uuid4(),
        reminder_key="b1-reminder-1",
        attempt_token=uuid.uuid4(),
        attempt=1,
        kind="reminder",
        recipient_phone=PHONE,
        recipient_name="Lena",
        recipient_time_zone="Europe/Berlin",
        template_name="booking_reminder",
        language="en",
        whatsapp_template_name="booking_reminder_v1",
        twilio_content_sid="HX" + "a" * 32,
        body_parameters=["Lena", "Monday 23 November 2026, 10:00", "Haircut", "Sam", "2 hours"],
        rendered_text="Hello Lena!\nYour appointment is in 2 hours.",
    )
    values.update(overrides)
    return OutboundMessage(**values)


def send_with(env: dict[str, str], outbound: OutboundMessage):
    async def go():
        async with aiohttp.ClientSession() as session:
            return await build_sender(session, env).send(outbound)

    return asyncio.run(go())


def test_cloud_api_sends_a_template_message_and_keeps_the_wamid(fake):
    outcome = send_with(fake.cloud_env(), message())
    assert outcome.verdict is Verdict.SENT
    assert outcome.provider_message_id.startswith("wamid.")
    [accepted] = fake.accepted
    assert accepted.message_id == outcome.provider_message_id
    body = accepted.body
    assert body["to"] == "4915112345678"
    assert body["type"] == "template"
    assert body["template"]["name"] == "booking_reminder_v1"
    assert body["template"]["language"] == {"code": "en"}
    parameters = body["template"]["components"][0]["parameters"]
    assert [p["text"] for p in parameters] == ["Lena", "Monday 23 November 2026, 10:00", "Haircut", "Sam", "2 hours"]
    assert body["biz_opaque_callback_data"] == "b1-reminder-1"


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        (Reply(400, 131026, "Message Undeliverable"), Verdict.FAIL),
        (Reply(400, 131047, "Re-engagement message"), Verdict.FAIL),
        (Reply(400, 132001, "Template name does not exist in the translation"), Verdict.FAIL),
        (Reply(400, 100, "Invalid parameter"), Verdict.FAIL),
        (Reply(429, 130429, "Rate limit hit"), Verdict.RETRY),
        (Reply(400, 131056, "Pair rate limit hit"), Verdict.RETRY),
        (Reply(500, 131000, "Something went wrong"), Verdict.RETRY),
        (Reply(503, 2, "Service temporarily unavailable"), Verdict.RETRY),
        (Reply(400, 131031, "Account has been locked"), Verdict.HALT),
        (Reply(400, 368, "Temporarily blocked for policies violations"), Verdict.HALT),
    ],
    ids=lambda value: str(value.code) if isinstance(value, Reply) else value.name,
)
def test_cloud_api_failures_are_classified_and_keep_the_providers_code(fake, reply, verdict):
    fake.script(PHONE, reply)
    outcome = send_with(fake.cloud_env(), message())
    assert outcome.verdict is verdict
    assert outcome.error_code == str(reply.code)
    assert reply.message in outcome.error_message
    assert outcome.provider_message_id is None


def test_cloud_api_expired_token_halts_the_sender(fake):
    env = {**fake.cloud_env(), "WHATSAPP_CLOUD_TOKEN": "expired"}
    outcome = send_with(env, message())
    assert outcome.verdict is Verdict.HALT
    assert outcome.error_code == "190"
    assert "expired" not in outcome.error_message.split("(#190)")[0]
    assert fake.accepted == []


def test_slow_answer_is_a_retry_marked_uncertain(fake):
    fake.script(PHONE, Reply(delay=2.0))
    outcome = send_with({**fake.cloud_env(), "SESSIONKEEPER_SEND_TIMEOUT": "0.3"}, message())
    assert outcome.verdict is Verdict.RETRY
    assert outcome.error_code == "timeout"
    assert outcome.uncertain is True


def test_refused_connection_is_a_plain_retry():
    env = {
        "SESSIONKEEPER_SENDER": "cloud_api",
        "WHATSAPP_CLOUD_TOKEN": "t",
        "WHATSAPP_PHONE_NUMBER_ID": "1",
        "WHATSAPP_CLOUD_BASE_URL": f"http://127.0.0.1:{free_loopback_port()}",
    }
    outcome = send_with(env, message())
    assert outcome.verdict is Verdict.RETRY
    assert outcome.error_code == "connect"
    assert outcome.uncertain is False


def test_twilio_sends_a_content_template_with_numbered_variables(fake):
    outcome = send_with(fake.twilio_env(), message())
    assert outcome.verdict is Verdict.SENT
    assert outcome.provider_message_id.startswith("SM")
    [accepted] = fake.accepted
    assert accepted.body["To"] == f"whatsapp:{PHONE}"
    assert accepted.body["From"] == "whatsapp:+14155238886"
    assert accepted.body["ContentSid"] == "HX" + "a" * 32
    assert json.loads(accepted.body["ContentVariables"]) == {
        "1": "Lena",
        "2": "Monday 23 November 2026, 10:00",
        "3": "Haircut",
        "4": "Sam",
        "5": "2 hours",
    }


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        (Reply(400, 21211, "The 'To' number is not a valid phone number."), Verdict.FAIL),
        (
            Reply(400, 63016, "Failed to send freeform message because you are outside the allowed window."),
            Verdict.FAIL,
        ),
        (Reply(429, 20429, "Too Many Requests"), Verdict.RETRY),
        (Reply(429, 63018, "Rate limit exceeded for Channel"), Verdict.RETRY),
        (Reply(500, 20500, "Internal Server Error"), Verdict.RETRY),
        (Reply(401, 30002, "Account suspended"), Verdict.HALT),
    ],
    ids=lambda value: str(value.code) if isinstance(value, Reply) else value.name,
)
def test_twilio_failures_are_classified(fake, reply, verdict):
    fake.script(PHONE, reply)
    outcome = send_with(fake.twilio_env(), message())
    assert outcome.verdict is verdict
    assert outcome.error_code == str(reply.code)


@pytest.mark.parametrize("content_sid", [None, ""])
def test_twilio_without_a_content_sid_fails_at_once_without_a_request(fake, content_sid):
    outcome = send_with(
        fake.twilio_env(), message(twilio_content_sid=content_sid, template_name="class_cancelled", language="de")
    )
    assert outcome.verdict is Verdict.FAIL
    assert outcome.error_code == "no_content_sid"
    assert "'class_cancelled'" in outcome.error_message
    assert "'de'" in outcome.error_message
    assert "upsert_message_template" in outcome.error_message
    assert outcome.uncertain is False
    assert fake.requests == [], "no freeform body is sent: Twilio would refuse it outside the 24-hour window"
    assert fake.accepted == []


def test_cloud_api_needs_no_content_sid(fake):
    outcome = send_with(fake.cloud_env(), message(twilio_content_sid=None))
    assert outcome.verdict is Verdict.SENT
    assert len(fake.accepted) == 1


def test_twilio_wrong_credentials_halt(fake):
    outcome = send_with({**fake.twilio_env(), "WHATSAPP_AUTH_TOKEN": "wrong"}, message())
    assert outcome.verdict is Verdict.HALT
    assert outcome.error_code == "20003"


def test_console_sender_prints_one_line_per_message():
    lines: list[str] = []
    sender = build_sender(None, {}, say=lines.append)
    outcome = asyncio.run(sender.send(message()))
    assert outcome.verdict is Verdict.SENT
    assert lines == [f"[whatsapp → {PHONE} Lena] Hello Lena! ⏎ Your appointment is in 2 hours."]


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"SESSIONKEEPER_SENDER": "cloud_api"}, "WHATSAPP_CLOUD_TOKEN"),
        ({"WHATSAPP_CLOUD_TOKEN": "x"}, "WHATSAPP_PHONE_NUMBER_ID"),
        ({"WHATSAPP_ACCOUNT_SID": "AC1", "WHATSAPP_AUTH_TOKEN": "t"}, "WHATSAPP_FROM_NUMBER"),
        ({"SESSIONKEEPER_SENDER": "carrier-pigeon"}, "SESSIONKEEPER_SENDER must be one of"),
    ],
)
def test_incomplete_configuration_names_what_is_missing(env, missing):
    async def go():
        async with aiohttp.ClientSession() as session:
            build_sender(session, env)

    with pytest.raises(SessionkeeperError, match=missing):
        asyncio.run(go())


def probe_with(env: dict[str, str]):
    async def go():
        async with aiohttp.ClientSession() as session:
            return await build_sender(session, env).check_credentials()

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("provider", "secret", "path", "refusal"),
    [
        ("cloud", "WHATSAPP_CLOUD_TOKEN", "/v21.0/1098765432101234", "190"),
        ("twilio", "WHATSAPP_AUTH_TOKEN", f"/2010-04-01/Accounts/{'AC' + '0' * 32}.json", "20003"),
    ],
)
def test_credentials_check_sends_nothing_and_tells_accepted_from_refused(fake, provider, secret, path, refusal):
    env = fake.cloud_env() if provider == "cloud" else fake.twilio_env()
    accepted = probe_with(env)
    assert accepted.verdict is Verdict.SENT, accepted
    refused = probe_with({**env, secret: "expired"})
    assert (refused.verdict, refused.error_code) == (Verdict.HALT, refusal)
    assert fake.requests == [("GET", path), ("GET", path)]
    assert fake.accepted == [], "a credentials check sends no message"


@pytest.mark.parametrize(
    ("provider", "code", "retryable"),
    [
        ("whatsapp", "131000", True),  # something went wrong: retried, as a failed send would be
        ("whatsapp", "131056", True),
        ("whatsapp", "131026", False),  # not a WhatsApp user: final
        ("whatsapp", "131049", False),
        ("whatsapp", "190", False),  # a halt code in a report: the message is not retried
        ("whatsapp", None, False),
        ("whatsapp", "not a number", False),
        ("twilio", "30001", True),
        ("twilio", "63016", False),
        ("twilio", "131000", False),  # a Cloud API code means nothing to Twilio
    ],
)
def test_delivery_failures_follow_the_send_error_lists(provider: str, code: str | None, retryable: bool) -> None:
    assert delivery_failure_retryable(provider, code) is retryable
