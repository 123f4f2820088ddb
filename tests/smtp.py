"""A real SMTP server on 127.0.0.1 for the tests that send mail (in the test process, or from a worker or a
deployment the test started)."""

import contextlib
import email
import email.policy
from collections.abc import Iterator
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller

from tests.processes import free_port


@dataclass
class SmtpListener:
    """Keeps what it receives; `refuse` answers RCPT for an address with the given reply."""

    received: list[email.message.EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.received.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [message for message in self.received if address in message["To"]]


@contextlib.contextmanager
def listening(listener: SmtpListener) -> Iterator[int]:
    """Runs the listener on a free port of 127.0.0.1; yields the port."""
    port = free_port()
    controller = Controller(listener, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
