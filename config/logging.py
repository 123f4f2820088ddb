"""How every process logs: one line a record with its time, level, logger and request id, as text or as JSON
(LOG_FORMAT=json), and never a secret.

Logs never carry a secret: join tokens, host keys, API keys, JWTs and passwords are replaced on the way
out, whoever logged them (Django's "Not Found: /join/<token>/", uvicorn's access log, a library's debug, a
traceback that shows a join link).

The handler is built by `console_handler`, named by config/logging.json: Django's LOGGING starts from that
file, and gunicorn (--log-config-json) and uvicorn (--log-config) read it before the app is loaded, so their
own first lines look like the rest."""

import contextvars
import logging
import os
import re
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter

_PATTERNS = [
    # A join link is the client's key to the consult; a calendar subscription's, to an agent's agenda.
    # A token's characters percent-encoded (%2D for "-", as some mail scanners rewrite links) are part of it.
    (re.compile(r"(/join/|/j/|/calendar/)(?:[A-Za-z0-9_-]|%[0-9A-Fa-f]{2}){16,}"), r"\1[token]"),
    # API keys (vc_<prefix>_<secret>: the prefix names the key in the admin and stays) and webhook signing
    # secrets, wherever they appear, not only after "Bearer" or "secret=".
    (re.compile(r"\b(vc_[0-9a-f]{8}_)[A-Za-z0-9_-]+"), r"\1[secret]"),
    (re.compile(r"\bwhsec_[A-Za-z0-9_-]+"), "whsec_[secret]"),
    # JSON Web Tokens (Jitsi room links carry one).
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), "[jwt]"),
    (re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE), r"\1[secret]"),
    # Query parameters and fields that hold keys: Whereby's roomKey (the host's key), tokens, passwords.
    (
        re.compile(
            r"\b((?:roomKey|token|jwt|key|secret|password|auth_token|api_key)[\"']?\s*[=:]\s*[\"']?)[^&\s\"',}]+", re.I
        ),
        r"\1[secret]",
    ),
]

# The request being served: set by config.requestid.RequestIdMiddleware, "-" outside a request (and in a Celery
# task queued during one, the id of that request).
REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
NO_REQUEST = "-"

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
FORMATS = ("text", "json")


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class RequestIdFilter(logging.Filter):
    """Puts `request_id` on every record, so that an operator can find all lines of one request."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = REQUEST_ID.get()
        if request_id == NO_REQUEST:
            # Django logs a response's 4xx/5xx status after the middleware has returned; its record carries the
            # request. gunicorn's access line comes even later, with the response's headers among its args.
            request_id = getattr(getattr(record, "request", None), "request_id", None) or NO_REQUEST
            if request_id == NO_REQUEST and isinstance(record.args, dict):
                request_id = str(record.args.get("{x-request-id}o") or NO_REQUEST)
        record.request_id = request_id
        return True


def _utc_timestamp(record: logging.LogRecord) -> str:
    # ISO 8601 in UTC with milliseconds: sorts as text, and means the same on every machine.
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    """`2026-12-02T12:42:00.123Z INFO django.request [3f2c...] message`, the traceback below it."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT, defaults={"request_id": NO_REQUEST})

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _utc_timestamp(record)

    def format(self, record: logging.LogRecord) -> str:
        # The whole line, traceback included: a frame's source line or an exception may show a join link.
        return redact(super().format(record))


class JsonLinesFormatter(JsonFormatter):
    """The same fields as TextFormatter, one JSON object a line, for a log collector."""

    FIELDS = ("timestamp", "level", "logger", "request_id", "message", "exc_info", "stack_info", "status_code")

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            rename_fields={"asctime": "timestamp", "levelname": "level", "name": "logger"},
            defaults={"request_id": NO_REQUEST},
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _utc_timestamp(record)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        # Only the known fields: a library's extras (a request object, uvicorn's coloured copy of the message)
        # are not for the collector.
        # In the order of the text format, which a person reading the raw lines expects.
        return {key: log_data[key] for key in self.FIELDS if key in log_data}

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def console_handler(format: str | None = None) -> logging.Handler:
    """The one handler of every process: standard error, in the format asked for (LOG_FORMAT, default text)."""
    chosen = format or os.environ.get("LOG_FORMAT") or "text"
    if chosen not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {chosen!r}")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLinesFormatter() if chosen == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactSecrets())
    return handler


class ExpectedShutdown(logging.Filter):
    """A restart with pages listening: uvicorn ends the open event streams after its graceful timeout and says
    so at ERROR ("Cancel 3 running task(s), timeout graceful shutdown exceeded"). Streams never end by
    themselves, and their pages reconnect to the next server within seconds (static/js/live.js), so this is
    every restart, not a fault: it is logged at INFO, where an operator's alerting does not wake anyone."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.ERROR and "timeout graceful shutdown exceeded" in record.getMessage():
            record.levelno, record.levelname = logging.INFO, "INFO"
            # Shown only where INFO is (uvicorn --log-level warning leaves it out).
            return logging.getLogger(record.name).isEnabledFor(logging.INFO)
        return True
