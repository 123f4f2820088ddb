"""Prints each SMS to standard output: the default for `make run`, so a developer sees what a client gets."""

import sys
import uuid
from typing import TextIO

from . import SentSms, SmsBackend


class ConsoleBackend(SmsBackend):
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, *, to: str, body: str, status_callback: str | None = None, valid_for: int | None = None) -> SentSms:
        stream = self.stream or sys.stdout
        stream.write(f"--- SMS to {to} ({len(body)} characters)\n{body}\n---\n")
        stream.flush()
        return SentSms(message_id=f"console-{uuid.uuid4()}")
