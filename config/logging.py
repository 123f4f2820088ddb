"""Logs never carry a secret: join tokens, host keys, API keys, JWTs and passwords are replaced on the way
out, whoever logged them (Django's "Not Found: /join/<token>/", uvicorn's access log, a library's debug)."""

import logging
import re

_PATTERNS = [
    # A join link is the client's key to the consult.
    (re.compile(r"(/join/|/j/)[A-Za-z0-9_-]{16,}"), r"\1[token]"),
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
