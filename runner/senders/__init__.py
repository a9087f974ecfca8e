"""Choosing the sender from the environment: Cloud API, Twilio, or the console (the default).

| variable | for |
|---|---|
| SESSIONKEEPER_SENDER | console, cloud_api or twilio; unset: cloud_api with WHATSAPP_CLOUD_TOKEN, |
|  | twilio with WHATSAPP_ACCOUNT_SID, else console |
| WHATSAPP_CLOUD_TOKEN, WHATSAPP_PHONE_NUMBER_ID | Cloud API credentials |
| WHATSAPP_CLOUD_BASE_URL, WHATSAPP_CLOUD_API_VERSION | Cloud API endpoint (tests point it at 127.0.0.1) |
| WHATSAPP_ACCOUNT_SID, WHATSAPP_AUTH_TOKEN, WHATSAPP_FROM_NUMBER | Twilio (TWILIO_* also read) |
| TWILIO_BASE_URL | Twilio endpoint |
| SESSIONKEEPER_SEND_TIMEOUT | seconds before a send counts as timed out (default 10) |
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Protocol

import aiohttp

from runner.errors import SessionkeeperError
from runner.outbound import OutboundMessage, SendOutcome
from runner.senders import cloud_api, twilio
from runner.senders.console import ConsoleSender

KINDS = ("console", "cloud_api", "twilio")


class Sender(Protocol):
    name: str
    sending_number: str

    async def send(self, message: OutboundMessage) -> SendOutcome: ...

    async def check_credentials(self) -> SendOutcome:
        """A request that sends nothing: SENT when the provider accepts the credentials, else its refusal."""
        ...


def _first(env: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        if env.get(name):
            return env[name]
    return None


def sender_kind(env: Mapping[str, str] = os.environ) -> str:
    chosen = env.get("SESSIONKEEPER_SENDER")
    if chosen:
        if chosen not in KINDS:
            raise SessionkeeperError(f"SESSIONKEEPER_SENDER must be one of {', '.join(KINDS)}, not {chosen!r}")
        return chosen
    if env.get("WHATSAPP_CLOUD_TOKEN"):
        return "cloud_api"
    if _first(env, "WHATSAPP_ACCOUNT_SID", "TWILIO_ACCOUNT_SID"):
        return "twilio"
    return "console"


def build_sender(
    session: aiohttp.ClientSession | None,
    env: Mapping[str, str] = os.environ,
    say: Callable[[str], None] = print,
) -> Sender:
    """The configured sender; a missing setting is one clear error naming the variable."""
    kind = sender_kind(env)
    if kind == "console":
        return ConsoleSender(say)
    assert session is not None, "HTTP senders need an aiohttp session"
    try:
        timeout = float(env.get("SESSIONKEEPER_SEND_TIMEOUT") or 10)
    except ValueError:
        raise SessionkeeperError("SESSIONKEEPER_SEND_TIMEOUT must be a number of seconds") from None

    def required(*names: str) -> str:
        value = _first(env, *names)
        if not value:
            raise SessionkeeperError(f"the {kind} sender needs {names[0]}")
        return value

    if kind == "cloud_api":
        return cloud_api.CloudApiSender(
            session,
            token=required("WHATSAPP_CLOUD_TOKEN"),
            phone_number_id=required("WHATSAPP_PHONE_NUMBER_ID"),
            base_url=env.get("WHATSAPP_CLOUD_BASE_URL") or cloud_api.DEFAULT_BASE_URL,
            api_version=env.get("WHATSAPP_CLOUD_API_VERSION") or cloud_api.DEFAULT_API_VERSION,
            timeout=timeout,
        )
    return twilio.TwilioSender(
        session,
        account_sid=required("WHATSAPP_ACCOUNT_SID", "TWILIO_ACCOUNT_SID"),
        auth_token=required("WHATSAPP_AUTH_TOKEN", "TWILIO_AUTH_TOKEN"),
        from_number=required("WHATSAPP_FROM_NUMBER", "TWILIO_WHATSAPP_FROM"),
        base_url=env.get("TWILIO_BASE_URL") or twilio.DEFAULT_BASE_URL,
        timeout=timeout,
    )
