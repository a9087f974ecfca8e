"""What a provider's webhook says, in two kinds of event the database records.

Meta's Cloud API posts JSON: ``entry[].changes[].value`` holds ``statuses`` (delivery reports for messages we sent)
and ``messages`` (what people wrote to us). Twilio posts a form: a status callback carries ``MessageStatus``; an
incoming message carries ``Body`` and ``From``. Anything else in a payload is ignored; a payload that is not the
expected shape at all raises ``PayloadError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


class PayloadError(ValueError):
    """The body is not a webhook of the expected provider."""


@dataclass(frozen=True)
class StatusEvent:
    provider: str
    provider_message_id: str
    status: str
    status_at: datetime | None = None
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class InboundMessage:
    provider: str
    provider_message_id: str
    from_phone: str
    body: str
    in_reply_to: str | None = None
    received_at: datetime | None = None


Event = StatusEvent | InboundMessage


def _epoch(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _meta_text(message: Mapping[str, Any]) -> str:
    """The words of an incoming message: text, a quick-reply button, or an interactive reply's title."""
    kind = message.get("type")
    if kind == "text":
        return str((message.get("text") or {}).get("body") or "")
    if kind == "button":
        return str((message.get("button") or {}).get("text") or "")
    if kind == "interactive":
        interactive = message.get("interactive") or {}
        reply = interactive.get("button_reply") or interactive.get("list_reply") or {}
        return str(reply.get("title") or "")
    return f"[{kind or 'unknown'}]"


def _meta_status(status: Mapping[str, Any]) -> StatusEvent:
    errors = status.get("errors") or [{}]
    first_error = errors[0] if isinstance(errors, list) and errors else {}
    code = first_error.get("code")
    return StatusEvent(
        provider="whatsapp",
        provider_message_id=str(status.get("id") or ""),
        status=str(status.get("status") or ""),
        status_at=_epoch(status.get("timestamp")),
        error_code=None if code is None else str(code),
        error_message=first_error.get("title") or first_error.get("message"),
    )


def _meta_message(message: Mapping[str, Any]) -> InboundMessage:
    return InboundMessage(
        provider="whatsapp",
        provider_message_id=str(message.get("id") or ""),
        from_phone=str(message.get("from") or ""),
        body=_meta_text(message),
        in_reply_to=(message.get("context") or {}).get("id"),
        received_at=_epoch(message.get("timestamp")),
    )


def cloud_api_events(payload: Any) -> list[Event]:
    """The status and message events of a Cloud API webhook body (already parsed from JSON)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        raise PayloadError("not a WhatsApp Cloud API webhook: no entry list")
    events: list[Event] = []
    try:
        for entry in payload["entry"]:
            for change in entry.get("changes") or []:
                value = change.get("value") or {}
                events.extend(_meta_status(status) for status in value.get("statuses") or [])
                events.extend(_meta_message(message) for message in value.get("messages") or [])
    except (AttributeError, TypeError) as problem:
        raise PayloadError(f"malformed WhatsApp Cloud API webhook: {problem}") from None
    return events


def twilio_events(form: Mapping[str, str]) -> list[Event]:
    """The one event of a Twilio webhook form: a status callback or an incoming message."""
    sid = form.get("MessageSid") or form.get("SmsMessageSid") or ""
    if not sid:
        raise PayloadError("not a Twilio webhook: no MessageSid")
    status = form.get("MessageStatus")
    if status and status != "received":
        return [
            StatusEvent(
                provider="twilio",
                provider_message_id=sid,
                status=status,
                error_code=form.get("ErrorCode") or None,
                error_message=form.get("ErrorMessage") or None,
            )
        ]
    if "Body" in form or "ButtonText" in form:
        return [
            InboundMessage(
                provider="twilio",
                provider_message_id=sid,
                from_phone=form.get("From") or "",
                body=form.get("ButtonText") or form.get("Body") or "",
                in_reply_to=form.get("OriginalRepliedMessageSid") or None,
            )
        ]
    raise PayloadError("Twilio webhook is neither a status callback nor a message")
