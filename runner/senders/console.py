"""The default sender: prints each rendered message on one line instead of sending it."""

from __future__ import annotations

from collections.abc import Callable
from uuid import uuid4

from runner.outbound import OutboundMessage, SendOutcome


class ConsoleSender:
    name = "console"
    sending_number = "console"

    def __init__(self, say: Callable[[str], None] = print) -> None:
        self.say = say

    async def send(self, message: OutboundMessage) -> SendOutcome:
        text = " ⏎ ".join(line.strip() for line in message.rendered_text.splitlines() if line.strip())
        self.say(f"[whatsapp → {message.recipient_phone} {message.recipient_name}] {text}")
        return SendOutcome.sent(f"console-{uuid4()}")

    async def check_credentials(self) -> SendOutcome:
        """The console has no credentials to check."""
        return SendOutcome.sent("console")
