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
