"""What the worker hands a sender, and what a sender says back."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class OutboundMessage:
    """One claimed outbox row: everything a sender needs, rendered by the database at claim time."""

    reminder_id: UUID
    reminder_key: str
    attempt_token: UUID
    attempt: int
    kind: str
    recipient_phone: str
    recipient_name: str
    recipient_time_zone: str
    template_name: str
    language: str
    whatsapp_template_name: str | None
    twilio_content_sid: str | None
    body_parameters: list[str] = field(default_factory=list)
    rendered_text: str = ""
    due_at: datetime | None = None
    deadline_at: datetime | None = None


class Verdict(enum.Enum):
    SENT = "sent"
    RETRY = "retry"  # try again later (the SQL backoff): rate limits, 5xx, timeouts
    FAIL = "fail"  # permanent for this message: bad number, template error, other 4xx
    HALT = "halt"  # the sender itself is broken (token expired, account locked): stop, touch nothing


@dataclass(frozen=True)
class SendOutcome:
    verdict: Verdict
    provider_message_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    # The request may have reached the provider (e.g. a timeout after sending): a retry may duplicate.
    uncertain: bool = False
    retry_after_seconds: float | None = None

    @classmethod
    def sent(cls, provider_message_id: str) -> SendOutcome:
        return cls(Verdict.SENT, provider_message_id=provider_message_id)
