"""Prints each SMS to standard output: the default for `make run`, so a developer sees what a client gets
(one line with the link; CONSOLE_MESSAGES=full prints the whole text)."""

import uuid
from typing import TextIO

from notifications.console import write_sms

from . import SentSms, SmsBackend


class ConsoleBackend(SmsBackend):
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, *, to: str, body: str, status_callback: str | None = None, valid_for: int | None = None) -> SentSms:
        write_sms(self.stream, to=to, body=body)
        return SentSms(message_id=f"console-{uuid.uuid4()}")
