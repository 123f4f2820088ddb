import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller

from notifications.sms import locmem
from scheduling.services import ParticipantInput, book_appointment, update_appointment


@dataclass
class SmtpListener:
    """A real SMTP server on localhost that keeps what it receives."""

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(settings) -> Iterator[SmtpListener]:
    listener = SmtpListener()
    port = free_port()
    controller = Controller(listener, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield listener
    finally:
        controller.stop()


@pytest.fixture(autouse=True)
def sms_outbox() -> Iterator[list[locmem.SmsMessage]]:
    locmem.outbox.clear()
    locmem.failures.clear()
    yield locmem.outbox
    locmem.outbox.clear()
    locmem.failures.clear()


@pytest.fixture
def book(assistant, agent, team, tomorrow_at, django_capture_on_commit_callbacks):
    """Book through the service. With send=True (the default) the queued tasks run, as after a web request;
    with send=False the invitations stay queued, as if no worker had reached them yet."""

    def make(*participants: ParticipantInput, start=None, end=None, send: bool = True, **kwargs):
        start = start or tomorrow_at(10)
        with django_capture_on_commit_callbacks(execute=send):
            return book_appointment(
                booked_by=assistant,
                team=team,
                agent=agent,
                start=start,
                end=end or start.replace(minute=30),
                subject=kwargs.pop("subject", "Intake"),
                message=kwargs.pop("message", "Please have your insurance card ready."),
                participants=list(participants or [email_participant()]),
                **kwargs,
            )

    return make


@pytest.fixture
def edit(assistant, django_capture_on_commit_callbacks):
    """Change a consult through the service, keeping whatever is not named; send=False as for `book`."""

    def change(appointment, *, send: bool = True, **changes):
        participants = changes.pop("participants", None) or [
            ParticipantInput(
                name=p.name, channel=p.channel, language=p.language, email=p.email, phone=p.phone, participant_id=p.pk
            )
            for p in appointment.participants.active()
        ]
        fields = {name: getattr(appointment, name) for name in ("team", "agent", "start", "end", "subject", "message")}
        with django_capture_on_commit_callbacks(execute=send):
            return update_appointment(
                appointment=appointment,
                changed_by=assistant,
                expected_sequence=appointment.sequence,
                participants=participants,
                allow_conflicts=True,
                **(fields | changes),
            )

    return change


def email_participant(name: str = "Chris Client", address: str = "chris@example.org", language: str = "en"):
    return ParticipantInput(name=name, channel="email", language=language, email=address)


def sms_participant(name: str = "Sam Sms", phone: str = "06 12345678", language: str = "nl"):
    return ParticipantInput(name=name, channel="sms", language=language, phone=phone)


def link_participant(name: str = "Lee Link"):
    return ParticipantInput(name=name, channel="link", language="en")
