"""Twilio WhatsApp: the Messages resource with a content template (ContentSid + ContentVariables).

A message whose template has no Twilio content SID is never sent as a freeform body (Twilio refuses one outside
the 24-hour window, error 63016): it fails at once, permanently, with error code ``no_content_sid`` and no request.

Reads WHATSAPP_ACCOUNT_SID, WHATSAPP_AUTH_TOKEN and WHATSAPP_FROM_NUMBER (or the TWILIO_* names). The
credentials check (`resume-sending --probe`) reads the account: GET /2010-04-01/Accounts/{sid}.json.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import aiohttp

from runner.outbound import OutboundMessage, SendOutcome, Verdict
from runner.senders.classify import classify_twilio
from runner.senders.http import request

DEFAULT_BASE_URL = "https://api.twilio.com"
NO_CONTENT_SID = "no_content_sid"


class TwilioSender:
    name = "twilio"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
    ) -> None:
        self.session = session
        credentials = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        self._headers = {"Authorization": f"Basic {credentials}"}
        self.account_url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}"
        self.url = f"{self.account_url}/Messages.json"
        self.from_address = from_number if from_number.startswith("whatsapp:") else f"whatsapp:{from_number}"
        self.timeout = timeout
        self.sending_number = f"twilio:{self.from_address.removeprefix('whatsapp:')}"

    def form(self, message: OutboundMessage, content_sid: str) -> dict[str, str]:
        variables = {str(position): value for position, value in enumerate(message.body_parameters, start=1)}
        return {
            "To": f"whatsapp:{message.recipient_phone}",
            "From": self.from_address,
            "ContentSid": content_sid,
            "ContentVariables": json.dumps(variables),
        }

    async def send(self, message: OutboundMessage) -> SendOutcome:
        if not message.twilio_content_sid:
            return no_content_sid(message)
        return await request(
            self.session,
            "POST",
            self.url,
            timeout=self.timeout,
            success_id=lambda body: body.get("sid"),
            read_error=_error,
            classify=classify_twilio,
            data=self.form(message, message.twilio_content_sid),
            headers=self._headers,
        )

    async def check_credentials(self) -> SendOutcome:
        """Sends nothing: SENT (with the account SID) when Twilio accepts the credentials."""
        return await request(
            self.session,
            "GET",
            f"{self.account_url}.json",
            timeout=self.timeout,
            success_id=lambda body: body.get("sid"),
            read_error=_error,
            classify=classify_twilio,
            headers=self._headers,
        )


def no_content_sid(message: OutboundMessage) -> SendOutcome:
    """The permanent failure of a message whose template has no approved Twilio content template."""
    return SendOutcome(
        Verdict.FAIL,
        error_code=NO_CONTENT_SID,
        error_message=(
            f"message template {message.template_name!r} in language {message.language!r} has no Twilio content "
            "SID; set it with scheduling.upsert_message_template, then retry-failed --code no_content_sid"
        ),
    )


def _error(body: dict[str, Any]) -> tuple[int | None, str | None]:
    code = body.get("code")
    return (code if isinstance(code, int) else None), body.get("message")
