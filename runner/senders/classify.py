"""Which provider errors are worth retrying, which are final, and which mean "stop sending".

Cloud API codes are Meta's (error.code in the response body); Twilio's are its REST error codes.
Anything unknown falls back to the HTTP status: 429 and 5xx retry, other 4xx fail.
"""

from __future__ import annotations

from collections.abc import Callable

from runner.outbound import Verdict

# WhatsApp Cloud API
CLOUD_HALT = {
    0,  # AuthException
    190,  # access token expired or invalid
    368,  # temporarily blocked for policy violations
    131031,  # business account locked
}
CLOUD_RETRY = {
    1,  # API unknown
    2,  # API service temporarily unavailable
    4,  # too many calls (application)
    80007,  # rate limit issues (WABA)
    130429,  # Cloud API throughput reached
    131000,  # something went wrong
    131016,  # service unavailable
    131056,  # too many messages to the same recipient (pair rate limit)
    133004,  # server temporarily unavailable
}
CLOUD_HALT_RANGES = (range(200, 300),)  # permission errors: the app lacks a permission

# Twilio
TWILIO_HALT = {
    20003,  # authentication failed
    20005,  # account not active
    30002,  # account suspended
}
TWILIO_RETRY = {
    20429,  # too many requests
    30001,  # queue overflow
    63018,  # rate limit exceeded for the channel
    63038,  # daily message limit reached for the account
}


def by_http_status(status: int) -> Verdict:
    if status == 429 or status >= 500:
        return Verdict.RETRY
    if status in (401, 403):
        return Verdict.HALT
    return Verdict.FAIL


def _classify(status: int, code: int | None, *, halt: Callable[[int], bool], retry: set[int]) -> Verdict:
    if code is not None:
        if halt(code):
            return Verdict.HALT
        if code in retry:
            return Verdict.RETRY
        if status < 500 and status != 429:
            # A known or unknown provider code on a 4xx (131026, 131047, 132xxx, 21211 ...) is final.
            return Verdict.FAIL
    return by_http_status(status)


def classify_cloud_api(status: int, code: int | None) -> Verdict:
    return _classify(
        status, code, halt=lambda c: c in CLOUD_HALT or any(c in r for r in CLOUD_HALT_RANGES), retry=CLOUD_RETRY
    )


def classify_twilio(status: int, code: int | None) -> Verdict:
    return _classify(status, code, halt=lambda c: c in TWILIO_HALT, retry=TWILIO_RETRY)


def delivery_failure_retryable(provider: str, code: str | None) -> bool:
    """Whether a failed delivery report (webhook, after the send) is worth sending again: the same code lists as a
    failed send. Only the retry codes retry; anything else, halt codes and unknown or missing codes included, is
    final (the message reached the provider; there is no HTTP status to fall back on)."""
    try:
        number = int(str(code).strip())
    except ValueError:
        return False
    return number in (CLOUD_RETRY if provider == "whatsapp" else TWILIO_RETRY)
