"""The operator token, sign-in sessions and CSRF tokens of the dashboard.

Without a token the dashboard is read-only: nobody can sign in and every action is refused. With one, an operator
pastes it once; the answer is an HttpOnly, SameSite=Strict cookie naming a random sign-in session kept in memory.
Each form carries a CSRF token derived from that session (HMAC-SHA256 with a per-process key), and an action counts
only when both match, compared with hmac.compare_digest.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from runner.errors import SessionkeeperError

ENV_TOKEN = "SESSIONKEEPER_OPERATOR_TOKEN"
ENV_TOKEN_FILE = "SESSIONKEEPER_OPERATOR_TOKEN_FILE"
MIN_TOKEN_LENGTH = 16
COOKIE = "sk_operator"
SESSION_SECONDS = 12 * 3600


def operator_token(token_file: Path | None, env: Mapping[str, str] = os.environ) -> str | None:
    """The configured token: the file's first line when a file is given, else $SESSIONKEEPER_OPERATOR_TOKEN."""
    if token_file is not None:
        where = str(token_file)
        text = token_file.read_text(encoding="utf-8").strip()
    else:
        where = f"${ENV_TOKEN}"
        text = (env.get(ENV_TOKEN) or "").strip()
        if not text:
            return None
    if len(text) < MIN_TOKEN_LENGTH:
        raise SessionkeeperError(
            f"the operator token in {where} is shorter than {MIN_TOKEN_LENGTH} characters "
            "(make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return text


@dataclass
class Guard:
    """Checks the token, hands out sign-in sessions and their CSRF tokens."""

    token: str | None
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    sessions: dict[str, float] = field(default_factory=dict)  # session id -> expiry (time.monotonic)

    @property
    def enabled(self) -> bool:
        return self.token is not None

    def sign_in(self, offered: str) -> str | None:
        """A new session id when ``offered`` is the token, else None."""
        if self.token is None or not hmac.compare_digest(offered.strip().encode(), self.token.encode()):
            return None
        session = secrets.token_urlsafe(32)
        self.sessions[session] = time.monotonic() + SESSION_SECONDS
        return session

    def sign_out(self, session: str | None) -> None:
        if session:
            self.sessions.pop(session, None)

    def signed_in(self, session: str | None) -> bool:
        if not (self.enabled and session):
            return False
        expiry = self.sessions.get(session)
        if expiry is None or expiry < time.monotonic():
            self.sessions.pop(session, None)
            return False
        return True

    def csrf(self, session: str) -> str:
        return hmac.new(self.key, session.encode(), hashlib.sha256).hexdigest()

    def allows(self, session: str | None, csrf: str | None) -> bool:
        """Whether a POST may act: a live session and its own CSRF token."""
        if not self.signed_in(session) or not csrf:
            return False
        return hmac.compare_digest(self.csrf(session).encode(), csrf.encode())
