"""A client's message reads as one letter: one greeting, the booking's message first, the organisation's
invitation text instead of the standard introduction, the practical part, one closing. The same for
changes, cancellations and reminders."""

import icalendar
import pytest
from django.utils import timezone

from notifications.emails import render_email
from notifications.letter import inner_text
from notifications.models import Notification, Purpose
from scheduling.services import cancel_appointment
from tests.factories import ReminderRuleFactory, give_logo, image

from .conftest import email_participant

# Texts written as whole letters, as organisations and assistants do.
ORGANISATION_TEXT = (
    "Beste {client_name},\n\n{agent_name} ontvangt u op {date} om {time} in de online spreekkamer van De Linde.\n\n"
    "Met vriendelijke groet,\nPraktijk De Linde"
)
MESSAGE = "Beste cliënt,\n\nNeem uw verzekeringspas mee.\n\nMet vriendelijke groet,\nPraktijk De Linde"
# The standard Dutch introduction of an invitation, which the organisation's text replaces.
# A line under "Kind regards" too long to be a signature: nothing is taken.
LONG_SIGNATURE = (
    "See you tomorrow.\nKind regards,\n"
    "This line is far too long to be a signature under a closing, so nothing at all is taken away here."
)
STANDARD_INTRO = "ziet u graag in een videoconsult"


def _bodies(message) -> tuple[str, str]:
    alternatives = message.alternatives if hasattr(message, "alternatives") else []
    html = next(content for content, kind in alternatives if kind == "text/html")
    return message.body, html


def _in_order(text: str, *parts: str) -> bool:
    positions = [text.find(part) for part in parts]
    return -1 not in positions and positions == sorted(positions)


@pytest.fixture
def letter_organisation(organisation):
    organisation.sender_name = "Praktijk De Linde"
    organisation.invitation_text_nl = ORGANISATION_TEXT
    organisation.save()
    return organisation


def _client_row(appointment, purpose: str) -> Notification:
    return Notification.objects.get(appointment=appointment, purpose=purpose, participant__isnull=False)


def test_the_invitation_greets_once_opens_with_the_message_and_replaces_the_introduction(
    smtp, book, letter_organisation
):
    appointment = book(email_participant(name="Wim de Groot", language="nl"), message=MESSAGE)
    mail = smtp.to("chris@example.org")[0]
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    link = appointment.participants.get().join_url

    for body in (text, html):
        assert body.count("Beste Wim de Groot,") == 1, body
        assert "Beste cliënt" not in body and "Beste Wim de Groot,\n\nBeste" not in body
        assert body.count("Met vriendelijke groet") == 1, body
        assert STANDARD_INTRO not in body  # replaced by the organisation's text, not stacked on it
        assert _in_order(
            body,
            "Beste Wim de Groot,",
            "Neem uw verzekeringspas mee.",
            "Dr. Alex Agent ontvangt u op",
            link,
            "Met vriendelijke groet",
        ), body
    assert text.count("Praktijk De Linde") == 1  # the signature under the closing, once


def test_without_an_organisation_text_the_standard_introduction_follows_the_message(smtp, book, organisation):
    book(email_participant(language="en"), message="Please have your insurance card ready.")
    text = smtp.to("chris@example.org")[0].get_body(("plain",)).get_content()
    assert text.count("Dear Chris Client,") == 1 and text.count("Kind regards,") == 1
    assert _in_order(
        text, "Dear Chris Client,", "Please have your insurance card ready.", "will see you in a video consult"
    )


def test_the_calendar_invite_describes_the_message_first_then_the_introduction(smtp, book, letter_organisation):
    book(email_participant(name="Wim de Groot", language="nl"), message=MESSAGE)
    mail = smtp.to("chris@example.org")[0]
    calendar = icalendar.Calendar.from_ical(
        next(p for p in mail.walk() if p.get_content_type() == "text/calendar").get_content()
    )
    description = str(calendar.walk("VEVENT")[0]["description"])
    assert description.startswith("Neem uw verzekeringspas mee.\n\nDr. Alex Agent ontvangt u op")
    assert "Beste" not in description and "groet" not in description


def test_changes_cancellations_and_reminders_greet_once_and_close_once(book, edit, letter_organisation, tomorrow_at):
    ReminderRuleFactory(organisation=letter_organisation, amount=1, unit="hours")
    appointment = book(email_participant(name="Wim de Groot", language="nl"), message=MESSAGE)
    edit(appointment, start=tomorrow_at(11), end=tomorrow_at(11, 30))
    cancel_appointment(appointment=appointment, cancelled_by=appointment.booked_by)
    now = timezone.now()
    for purpose in (Purpose.UPDATE, Purpose.REMINDER, Purpose.CANCELLATION):
        row = _client_row(appointment, purpose)
        for body in _bodies(render_email(row, now=now)):
            assert body.count("Beste Wim de Groot,") == 1, (purpose, body)
            assert body.count("Met vriendelijke groet") == 1, (purpose, body)
            assert "Beste cliënt" not in body, (purpose, body)
            # Only invitations carry the organisation's invitation text.
            assert "online spreekkamer" not in body, (purpose, body)


def test_a_change_opens_with_the_message_then_says_what_changed(book, edit, organisation, tomorrow_at):
    appointment = book(email_participant(language="en"), message="Bring your card.")
    edit(appointment, start=tomorrow_at(11), end=tomorrow_at(11, 30))
    text, _html = _bodies(render_email(_client_row(appointment, Purpose.UPDATE), now=timezone.now()))
    assert _in_order(text, "Dear Chris Client,", "Bring your card.", "Your video consult has changed.", "Kind regards,")


@pytest.mark.parametrize(
    ("written", "inside"),
    [
        ("Beste cliënt,\n\nNeem uw pas mee.\n\nMet vriendelijke groet,\nPraktijk De Linde", "Neem uw pas mee."),
        ("Dear Chris,\nBring your card.\nKind regards,\nDr. Alex Agent\nPraktijk De Linde", "Bring your card."),
        ("Beste Wim, hierbij nodigen wij u uit.", "Hierbij nodigen wij u uit."),
        ("Geachte mevr. De Vries,\n\nTot morgen.", "Tot morgen."),
        ("Hallo!\r\n\r\nTot morgen.\r\n\r\nGroeten", "Tot morgen."),
        # What only looks like a greeting or closing stays.
        ("Beste zorg begint bij u. Neem uw pas mee.", "Beste zorg begint bij u. Neem uw pas mee."),
        ("High time for a check-up.", "High time for a check-up."),
        (LONG_SIGNATURE, LONG_SIGNATURE),
        ("Met vriendelijke groet,\nDe Linde", ""),
    ],
)
def test_a_text_inside_a_message_loses_its_own_greeting_and_closing(written, inside):
    assert inner_text(written) == inside


def test_the_email_shows_the_logo_from_its_current_address_on_the_site(smtp, book, organisation, settings):
    url = give_logo(organisation, image("red"))
    book(email_participant(name="Wim de Groot", language="nl"))
    html = smtp.to("chris@example.org")[0].get_body(("html",)).get_content()
    assert f'src="{settings.SITE_URL}{url}"' in html
