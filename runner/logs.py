"""One line per event: `2026-11-22T10:00:00Z message` as text, or a JSON object with --log-format json.

Callers pass plain messages; nothing they log contains a token (senders never put credentials in
error messages, and URLs are redacted before they are logged).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime

FORMATS = ("text", "json")


def make_logger(log_format: str = "text", write: Callable[[str], None] | None = None) -> Callable[[str], None]:
    if log_format not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}")
    emit = write or (lambda line: print(line, file=sys.stdout, flush=True))

    def log(message: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        if log_format == "json":
            emit(json.dumps({"ts": stamp, "message": message}, ensure_ascii=False))
        else:
            emit(f"{stamp[:19]}Z {message}")

    return log
