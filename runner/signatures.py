"""Webhook signatures: how Meta and Twilio sign what they send, and the constant-time checks.

* Meta (WhatsApp Cloud API): header ``X-Hub-Signature-256: sha256=<hex>``, the HMAC-SHA256 of the raw request
  body keyed with the app secret.
* Twilio: header ``X-Twilio-Signature``, the base64 HMAC-SHA1 keyed with the auth token of the full public URL
  followed by every POST parameter, sorted by name, as name then value with no separators.

Both checks compare with ``hmac.compare_digest`` so the time taken says nothing about how much matched.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable

META_HEADER = "X-Hub-Signature-256"
TWILIO_HEADER = "X-Twilio-Signature"


def meta_signature(app_secret: str, body: bytes) -> str:
    """The header value Meta sends for this body."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def meta_signature_ok(app_secret: str, body: bytes, header: str | None) -> bool:
    if not app_secret or not header:
        return False
    return hmac.compare_digest(meta_signature(app_secret, body).encode(), header.strip().encode())


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """The header value Twilio sends for a form POST of these parameters to this URL."""
    # Twilio sorts by name and, for a repeated name, by value.
    payload = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def twilio_signature_ok(auth_token: str, url: str, params: Iterable[tuple[str, str]], header: str | None) -> bool:
    if not auth_token or not header:
        return False
    return hmac.compare_digest(twilio_signature(auth_token, url, params).encode(), header.strip().encode())
