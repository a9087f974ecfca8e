"""WhatsApp Cloud API (Meta): POST /{version}/{phone-number-id}/messages with a template message.

The credentials check (`resume-sending --probe`) reads the phone number itself: GET /{version}/{phone-number-id}.

Business-initiated messages outside the 24-hour customer-service window must be templates, so
every reminder goes out as `type: template` with its body parameters in order.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from runner.outbound import OutboundMessage, SendOutcome
from runner.senders.classify import classify_cloud_api
from runner.senders.http import request

DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v21.0"


class CloudApiSender:
    name = "cloud_api"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        token: str,
        phone_number_id: str,
        base_url: str = DEFAULT_BASE_URL,
        api_version: str = DEFAULT_API_VERSION,
        timeout: float = 10.0,
    ) -> None:
        self.session = session
        self._token = token
        self.number_url = f"{base_url.rstrip('/')}/{api_version}/{phone_number_id}"
        self.url = f"{self.number_url}/messages"
        self.timeout = timeout
        # Rate limits are kept per sending number.
        self.sending_number = f"cloud_api:{phone_number_id}"

    def request_body(self, message: OutboundMessage) -> dict[str, Any]:
        return {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.recipient_phone.lstrip("+"),
            "type": "template",
            # Echoed back in status webhooks: ties a delivery status to its outbox row.
            "biz_opaque_callback_data": message.reminder_key,
            "template": {
                "name": message.whatsapp_template_name or message.template_name,
                "language": {"code": message.language},
                "components": [
                    {
                        "type": "body",
                        "parameters": [{"type": "text", "text": value} for value in message.body_parameters],
                    }
                ],
            },
        }

    async def send(self, message: OutboundMessage) -> SendOutcome:
        return await request(
            self.session,
            "POST",
            self.url,
            timeout=self.timeout,
            success_id=_message_id,
            read_error=_error,
            classify=classify_cloud_api,
            json=self.request_body(message),
            headers={"Authorization": f"Bearer {self._token}"},
        )

    async def check_credentials(self) -> SendOutcome:
        """Sends nothing: SENT (with the phone number id) when Meta accepts the token for this phone number."""
        return await request(
            self.session,
            "GET",
            self.number_url,
            timeout=self.timeout,
            success_id=lambda body: body.get("id"),
            read_error=_error,
            classify=classify_cloud_api,
            headers={"Authorization": f"Bearer {self._token}"},
        )


def _message_id(body: dict[str, Any]) -> str | None:
    messages = body.get("messages")
    if isinstance(messages, list) and messages and isinstance(messages[0], dict):
        return messages[0].get("id")
    return None


def _error(body: dict[str, Any]) -> tuple[int | None, str | None]:
    error = body.get("error")
    if not isinstance(error, dict):
        return None, None
    code = error.get("code")
    details = (error.get("error_data") or {}).get("details") if isinstance(error.get("error_data"), dict) else None
    text = error.get("message") or ""
    if details and details not in text:
        text = f"{text}: {details}" if text else details
    return (code if isinstance(code, int) else None), text or None
