"""What `make run` prints per message: one line saying to whom, by which channel, what, and the client's link;
the whole message when CONSOLE_MESSAGES is "full"."""

import io

from django.core import mail
from django.utils import timezone

from notifications.console import ConsoleEmailBackend
from notifications.emails import render_email
from notifications.models import Notification
from notifications.sms.console import ConsoleBackend
from tests.factories import email_participant


def sent_lines(backend_stream: io.StringIO) -> list[str]:
    return backend_stream.getvalue().splitlines()


def test_an_invitation_email_is_one_line_with_its_link(book, settings):
    appointment = book(email_participant(name="Jan Peters", address="jan@example.org"), send=False)
    invitation = Notification.objects.get(appointment=appointment, participant__isnull=False)
    stream = io.StringIO()
    with mail.get_connection("notifications.console.ConsoleEmailBackend", stream=stream) as connection:
        connection.send_messages([render_email(invitation, now=timezone.now())])
    (line,) = sent_lines(stream)
    participant = appointment.participants.get()
    assert line.startswith("email to jan@example.org · ")
    assert "calendar invite" in line
    assert line.endswith(f"link {settings.SITE_URL}/join/{participant.token}/")


def test_full_prints_the_whole_message(book, settings):
    settings.CONSOLE_MESSAGES = "full"
    appointment = book(email_participant(), send=False)
    invitation = Notification.objects.get(appointment=appointment, participant__isnull=False)
    stream = io.StringIO()
    ConsoleEmailBackend(stream=stream).send_messages([render_email(invitation, now=timezone.now())])
    assert "Content-Type: multipart/" in stream.getvalue() and len(sent_lines(stream)) > 20


def test_an_sms_is_one_line_with_its_length_and_link(settings):
    stream = io.StringIO()
    body = f"Praktijk: uw videoconsult is morgen om 10:00. Link: {settings.SITE_URL}/join/abc123/"
    ConsoleBackend(stream=stream).send(to="+31612345678", body=body)
    assert sent_lines(stream) == [
        f"SMS to +31612345678 · {len(body)} characters · link {settings.SITE_URL}/join/abc123/"
    ]
    settings.CONSOLE_MESSAGES = "full"
    ConsoleBackend(stream=stream).send(to="+31612345678", body=body)
    assert body in stream.getvalue()
