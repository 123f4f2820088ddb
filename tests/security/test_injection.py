"""Names, subjects and messages with HTML, script, CRLF and calendar-breaking text come out harmless:
escaped in pages and emails, on one line in headers and SMS, and as data in calendar invites."""

from datetime import timedelta

import icalendar
import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from notifications.sms import locmem as sms
from scheduling.services import ParticipantInput
from waitingroom.services import send_waiting_message

NAME = '<script>alert("name")</script> Jan\r\nBEGIN:VEVENT\r\nSUMMARY:owned'
SUBJECT = '<b>Intake</b>\r\nEND:VEVENT\r\nBEGIN:VEVENT;X="1",2'
MESSAGE = '<img src=x onerror=alert(1)>\nBEGIN:VCALENDAR\nMETHOD:CANCEL\n"quoted", \\backslash; semi'
SCRIPTS = ("<script>alert", "<img src=x", "<b>Intake</b>")


@pytest.fixture
def booked(book, agent):
    start = timezone.now() + timedelta(minutes=20)
    participants = [
        ParticipantInput(name=NAME, channel="email", language="en", email="jan@example.org"),
        ParticipantInput(name=NAME, channel="sms", language="en", phone="06 12345678"),
    ]
    appointment = book(*participants, start=start, end=start + timedelta(minutes=30), subject=SUBJECT, message=MESSAGE)
    send_waiting_message(appointment=appointment, sender=agent, text='<script>alert("wait")</script>')
    return appointment


def test_names_and_subjects_are_stored_on_one_line(booked):
    assert booked.subject == '<b>Intake</b> END:VEVENT BEGIN:VEVENT;X="1",2'
    assert {p.name for p in booked.participants.all()} == {
        '<script>alert("name")</script> Jan BEGIN:VEVENT SUMMARY:owned'
    }


def test_pages_escape_everything_typed(assistant_client, client, booked):
    pages = [
        reverse("scheduling:appointment-detail", args=[booked.public_id]),
        reverse("scheduling:dashboard"),
        reverse("scheduling:agenda"),
        reverse("waitingroom:waiting-room"),
        reverse("waitingroom:waiting-room-state"),
        reverse("scheduling:appointment-edit", args=[booked.public_id]),
    ]
    for url in pages:
        html = assistant_client.get(url).content.decode()
        assert not any(raw in html for raw in SCRIPTS), url
        assert '<script>alert("wait")' not in html, url
    detail = assistant_client.get(pages[0]).content.decode()
    assert "&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;" in detail
    assert "&lt;b&gt;Intake&lt;/b&gt;" in detail
    join = client.get(booked.participants.first().join_url.split("8000")[1]).content.decode()
    assert not any(raw in join for raw in SCRIPTS) and '<script>alert("wait")' not in join


def test_emails_escape_html_and_keep_headers_on_one_line(booked):
    assert mail.outbox
    for message in mail.outbox:
        assert "\n" not in message.subject and "\r" not in message.subject
        html = next(content for content, kind in message.alternatives if kind == "text/html")
        assert not any(raw in html for raw in SCRIPTS)
        # Names and subjects are one line everywhere, so they cannot start a line of their own.
        raw = message.message().as_string().replace("\r\n", "\n")
        assert "\nSUMMARY:owned" not in raw and "\nEND:VEVENT\nBEGIN:VEVENT;X" not in raw


def test_calendar_invites_keep_the_text_as_data(booked, agent):
    for message in mail.outbox:
        body = next(content for content, kind in message.alternatives if kind.startswith("text/calendar"))
        calendar = icalendar.Calendar.from_ical(body)
        (event,) = calendar.walk("VEVENT")  # no second event smuggled in
        assert str(calendar["METHOD"]) == "REQUEST"
        assert "owned" not in str(event["SUMMARY"]) or message.to == [agent.email]
        if message.to == [agent.email]:
            assert str(event["SUMMARY"]) == " ".join(SUBJECT.split())  # the agent's own subject, as text
        else:
            assert str(event["ATTENDEE"].params["CN"]).startswith('<script>alert("name")')
            assert MESSAGE in str(event["DESCRIPTION"])
        assert str(event["UID"]) == booked.calendar_uid


def test_sms_are_one_plain_line(booked):
    assert sms.outbox
    for message in sms.outbox:
        assert "\r" not in message.body and "\n" not in message.body
        assert "<script>" not in message.body
