"""Logging for the long-running commands: the standard ``logging`` module, one line per event on stdout.

Every record carries an event name (``worker.stopped``, ``reminder.failed``, ...) and, where it applies, the
worker id, the reminder key and the provider's error code. ``--log-format text`` writes one readable line::

    2026-11-22T10:00:00Z INFO reminder.failed r-123 attempt 1 failed: 131026 ... worker_id=w1 reminder_key=r-123

``--log-format json`` writes one JSON object per line (python-json-logger) with the keys ``time``, ``level``,
``event``, ``message`` and the context keys that apply.

Secrets never reach the output: `RedactSecrets`, a filter on the handler, replaces every configured secret (the
WhatsApp and Twilio tokens of the environment) by ``***`` in the message, its arguments, the context fields and
any exception text, whoever logged it.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from pythonjsonlogger.json import JsonFormatter

FORMATS = ("text", "json")
LOGGER_NAME = "sessionkeeper"
CONTEXT_FIELDS = ("worker_id", "reminder_key", "provider_code")
# The environment variables holding credentials (runner.senders, runner.webhook): never logged.
SECRET_VARIABLES = (
    "WHATSAPP_CLOUD_TOKEN",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_VERIFY_TOKEN",
    "WHATSAPP_AUTH_TOKEN",
    "TWILIO_AUTH_TOKEN",
)
MASK = "***"


def secrets_from(env: Mapping[str, str]) -> list[str]:
    """The configured secret values (long enough to be told apart from ordinary words)."""
    return [env[name] for name in SECRET_VARIABLES if len(env.get(name) or "") >= 4]


class RedactSecrets(logging.Filter):
    """Replaces each secret by *** in everything a record would print."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first: a secret that contains another is masked whole.
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        record.msg = self.redact(record.getMessage())
        record.args = None
        for name in (*CONTEXT_FIELDS, "event"):
            value = getattr(record, name, None)
            if isinstance(value, str):
                setattr(record, name, self.redact(value))
        if record.exc_info:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def _event(record: logging.LogRecord) -> str:
    """The record's event name; a library's warning (aiohttp, psycopg) is named after its logger."""
    return getattr(record, "event", None) or record.name


def _utc_time(record: logging.LogRecord) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + "Z"


class TextFormatter(logging.Formatter):
    """`time LEVEL event message key=value ...` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        context = " ".join(
            f"{name}={getattr(record, name)}" for name in CONTEXT_FIELDS if getattr(record, name, None) is not None
        )
        line = f"{_utc_time(record)} {record.levelname} {_event(record)} {record.getMessage()}"
        if context:
            line += f" {context}"
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line += " | " + record.exc_text.replace("\n", " | ")
        return line


class JsonLineFormatter(JsonFormatter):
    """One JSON object per line: time, level, event, message and the context fields that apply."""

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        super().add_fields(log_data, record, message_dict)
        log_data.pop("event", None)
        fields = {"time": _utc_time(record), "level": record.levelname, "event": _event(record)}
        fields.update((k, v) for k, v in log_data.items() if v is not None or k not in CONTEXT_FIELDS)
        log_data.clear()
        log_data.update(fields)


def configure(
    log_format: str = "text", *, secrets: Iterable[str] | None = None, stream: TextIO | None = None
) -> logging.Logger:
    """Set up logging for this process: one handler on the root logger writing to stdout (or ``stream``) in the
    chosen format, with the redaction of ``secrets`` (by default those of the environment); sessionkeeper's own
    logger at INFO, libraries' loggers (aiohttp, psycopg) at WARNING. Returns sessionkeeper's logger."""
    if log_format not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}")
    handler = logging.StreamHandler(stream or sys.stdout)
    if log_format == "json":
        handler.setFormatter(
            JsonLineFormatter("%(message)s", json_ensure_ascii=False, reserved_attrs=[*_RESERVED, "color_message"])
        )
    else:
        handler.setFormatter(TextFormatter())
    handler.addFilter(RedactSecrets(secrets_from(os.environ) if secrets is None else secrets))
    handler.set_name(LOGGER_NAME)
    remove_handler()
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(logging.INFO)
    return logger


def remove_handler() -> None:
    """Take away the handler `configure` installed (if any)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == LOGGER_NAME:
            root.removeHandler(handler)


# The LogRecord attributes that are not context: left out of the JSON object.
_RESERVED = [
    "args",
    "asctime",
    "created",
    "exc_info",
    "exc_text",
    "filename",
    "funcName",
    "levelname",
    "levelno",
    "lineno",
    "module",
    "msecs",
    "msg",
    "name",
    "pathname",
    "process",
    "processName",
    "relativeCreated",
    "stack_info",
    "thread",
    "threadName",
    "taskName",
]


class EventLog:
    """What the long-running code logs through: ``log("text", event="worker.started", worker_id=...)``.

    A plain call logs at INFO under the default event, so an EventLog also serves where a ``say(text)`` callable
    is expected (migrate, the console sender). ``bind`` gives a log that adds context to every record.
    """

    def __init__(self, logger: logging.Logger, event: str = "message", **context: Any) -> None:
        self.logger = logger
        self.event = event
        self.context = {k: v for k, v in context.items() if v is not None}

    def bind(self, event: str | None = None, **context: Any) -> EventLog:
        return EventLog(self.logger, event or self.event, **{**self.context, **context})

    def __call__(self, message: str, *, event: str | None = None, level: int = logging.INFO, **context: Any) -> None:
        extra = {**self.context, **{k: v for k, v in context.items() if v is not None}, "event": event or self.event}
        self.logger.log(level, "%s", message, extra=extra)

    def warning(self, message: str, *, event: str | None = None, **context: Any) -> None:
        self(message, event=event, level=logging.WARNING, **context)

    def error(self, message: str, *, event: str | None = None, **context: Any) -> None:
        self(message, event=event, level=logging.ERROR, **context)


def make_logger(log_format: str = "text", event: str = "message", **context: Any) -> EventLog:
    """Configure logging (see `configure`) and return an EventLog on it."""
    return EventLog(configure(log_format), event, **context)
