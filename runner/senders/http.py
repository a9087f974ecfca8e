"""The part every HTTP sender shares: one request (a send, or a credentials check), its failure modes, and a verdict.

Connection refused or reset before the request went out is a plain retry. A timeout or a
disconnect after the request was written may mean the provider got it: still a retry, but marked
uncertain, so a possible duplicate is visible in the queue statistics.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aiohttp

from runner.outbound import SendOutcome, Verdict

ErrorReader = Callable[[dict[str, Any]], tuple[int | None, str | None]]
Classifier = Callable[[int, int | None], Verdict]


async def request(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    timeout: float,
    success_id: Callable[[dict[str, Any]], str | None],
    read_error: ErrorReader,
    classify: Classifier,
    **options: Any,
) -> SendOutcome:
    try:
        async with session.request(method, url, timeout=aiohttp.ClientTimeout(total=timeout), **options) as response:
            raw = await response.read()
            status = response.status
            retry_after = _retry_after(response.headers.get("Retry-After"))
    except aiohttp.ClientConnectorError as problem:
        return SendOutcome(Verdict.RETRY, error_code="connect", error_message=_short(problem))
    except TimeoutError:
        return SendOutcome(
            Verdict.RETRY, error_code="timeout", error_message=f"no answer in {timeout:g} s", uncertain=True
        )
    except aiohttp.ClientError as problem:
        return SendOutcome(Verdict.RETRY, error_code="connection", error_message=_short(problem), uncertain=True)
    body = _json(raw)
    if 200 <= status < 300:
        message_id = success_id(body) if body is not None else None
        if message_id:
            return SendOutcome.sent(message_id)
        return SendOutcome(
            Verdict.RETRY,
            error_code=f"http_{status}",
            uncertain=True,
            error_message="success status without a message id",
        )
    code, text = read_error(body) if body is not None else (None, None)
    verdict = classify(status, code)
    return SendOutcome(
        verdict,
        error_code=str(code) if code is not None else f"http_{status}",
        error_message=(text or raw[:200].decode(errors="replace") or f"HTTP {status}").strip(),
        retry_after_seconds=retry_after,
    )


def _json(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _retry_after(header: str | None) -> float | None:
    try:
        return max(0.0, float(header)) if header else None
    except ValueError:
        return None


def _short(problem: BaseException) -> str:
    return (str(problem) or type(problem).__name__).splitlines()[0][:200]
