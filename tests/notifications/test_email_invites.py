"""Emails as a real SMTP server receives them: parts, language, branding, and the calendar invites."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from notifications.models import DeliveryStatus, Notification, Purpose
from notifications.services import sweep
from scheduling.services import cancel_appointment
from tests.factories import ReminderRuleFactory, agent_of

from .conftest import email_participant, sms_participant

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _parts(message):
    return {part.get_content_type(): part for part in message.walk() if not part.is_multipart()}


def _calendar(message) -> icalendar.Calendar:
    part = _parts(message)["text/calendar"]
    return icalendar.Calendar.from_ical(part.get_content())


def _event(message):
    return _calendar(message).walk("VEVENT")[0]


def test_booking_emails_agent_and_participant_with_inline_request_and_ics_file(smtp, book, agent):
    appointment = book(email_participant())

    assert sorted(address for _from, rcpts in smtp.envelopes for address in rcpts) == sorted(
        ["chris@example.org", agent.email]
    )
    client_mail = smtp.to("chris@example.org")[0]
    structure = [part.get_content_type() for part in client_mail.walk()]
    assert structure == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
        "application/ics",
    ]
    inline = _parts(client_mail)["text/calendar"]
    assert inline.get_param("method") == "REQUEST"
    assert inline.get_content_disposition() is None
    attachment = _parts(client_mail)["application/ics"]
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content() == inline.get_content().encode()

    participant = appointment.participants.get()
    event = _event(client_mail)
    assert str(event["uid"]) == appointment.calendar_uid
    assert event["sequence"] == 0
    assert str(event["location"]) == participant.join_url
    assert participant.join_url in str(event["description"])
    assert str(event["organizer"]).startswith("mailto:")
    assert str(event["attendee"]) == "mailto:chris@example.org"
    assert event.decoded("dtstart") == appointment.start
    assert Notification.objects.filter(status=DeliveryStatus.SENT).count() == 2


def test_participant_email_has_join_link_and_local_time_in_their_language(smtp, book, organisation, tomorrow_at):
    organisation.sender_name = "Praktijk De Linde"
    organisation.primary_colour = "#aa3300"
    organisation.save()
    appointment = book(email_participant(language="nl"), start=tomorrow_at(9, 15))
    mail = smtp.to("chris@example.org")[0]
    text = _parts(mail)["text/plain"].get_content()
    html = _parts(mail)["text/html"].get_content()
    link = appointment.participants.get().join_url

    assert mail["Subject"].startswith("Uitnodiging: videoconsult op")
    assert "Praktijk De Linde" in mail["From"]
    assert "09:15" in mail["Subject"] and "09:15\u201309:30" in text
    assert "Beste Chris Client," in text
    assert link in text and f'href="{link}"' in html
    assert "#aa3300" in html
    assert "Please have your insurance card ready." in text


def test_agent_email_links_to_the_agenda_day_not_to_a_client_link(smtp, book, agent, tomorrow_at):
    appointment = book(email_participant())
    mail = smtp.to(agent.email)[0]
    text = _parts(mail)["text/plain"].get_content()
    participant = appointment.participants.get()

    assert f"/agenda/?date={tomorrow_at(10).date().isoformat()}" in text
    assert participant.token not in mail.as_string()
    assert "Chris Client" in text
    assert str(_event(mail)["attendee"]) == f"mailto:{agent.email}"


def test_invite_update_update_cancel_share_uid_and_raise_sequence(
    smtp, book, edit, assistant, tomorrow_at, django_capture_on_commit_callbacks
):
    appointment = book(email_participant())
    appointment = edit(appointment, start=tomorrow_at(11), end=tomorrow_at(12))
    appointment = edit(appointment, subject="Follow-up")
    with django_capture_on_commit_callbacks(execute=True):
        cancel_appointment(appointment=appointment, cancelled_by=assistant)

    mails = smtp.to("chris@example.org")
    assert [m["Subject"].split(":")[0] for m in mails] == ["Invitation", "Changed", "Changed", "Cancelled"]
    seen = []
    for mail in mails:
        raw = _parts(mail)["text/calendar"].get_content()
        event = _event(mail)
        # An independent parser must read the same thing.
        other = vobject.readOne(raw)
        assert other.vevent.uid.value == str(event["uid"]) == appointment.calendar_uid
        assert int(other.vevent.sequence.value) == event["sequence"]
        assert other.method.value == str(_calendar(mail)["method"])
        seen.append(
            (str(_calendar(mail)["method"]), event["sequence"], _parts(mail)["text/calendar"].get_param("method"))
        )
    assert seen == [
        ("REQUEST", 0, "REQUEST"),
        ("REQUEST", 1, "REQUEST"),
        ("REQUEST", 2, "REQUEST"),
        ("CANCEL", 3, "CANCEL"),
    ]
    cancel = _event(mails[-1])
    assert str(cancel["status"]) == "CANCELLED"
    assert _parts(mails[-1])["application/ics"].get_filename() == "cancel.ics"
    assert "VALARM" not in _parts(mails[-1])["text/calendar"].get_content()
    # DTSTAMP is the moment of each message, never reused.
    stamps = [_event(m).decoded("dtstamp") for m in mails]
    assert stamps == sorted(stamps)


def test_reassigning_cancels_for_the_old_agent_and_invites_the_new_one(smtp, book, edit, agent, team):
    other = agent_of(team, full_name="Dr. Bo Other")
    appointment = book(email_participant())
    edit(appointment, agent=other)

    old = smtp.to(agent.email)
    new = smtp.to(other.email)
    assert [str(_calendar(m)["method"]) for m in old] == ["REQUEST", "CANCEL"]
    # The consult goes on, so the old agent's copy is withdrawn without saying the event is cancelled.
    assert "status" not in _event(old[-1])
    assert [str(_calendar(m)["method"]) for m in new] == ["REQUEST"]
    assert _event(new[0])["sequence"] == 1
    client = smtp.to("chris@example.org")
    assert [m["Subject"].split(":")[0] for m in client] == ["Invitation", "Changed"]
    assert "Dr. Bo Other" in _parts(client[-1])["text/plain"].get_content()


def test_removed_participant_gets_a_cancellation_and_a_new_one_an_invitation(smtp, book, edit):
    appointment = book(email_participant())
    edit(
        appointment,
        participants=[email_participant(name="Dana New", address="dana@example.org")],
    )
    assert [str(_calendar(m)["method"]) for m in smtp.to("chris@example.org")] == ["REQUEST", "CANCEL"]
    assert [str(_calendar(m)["method"]) for m in smtp.to("dana@example.org")] == ["REQUEST"]


def test_saving_without_changes_sends_nothing(smtp, book, edit):
    appointment = book(email_participant())
    edit(appointment)
    assert len(smtp.received) == 2


def test_invitation_text_fills_placeholders_but_runs_no_template_code(smtp, book, organisation):
    organisation.invitation_text_en = (
        "For {client_name}: {agent_name} expects you on {date} at {time}: {link} {{ 7|add:1 }} {% now 'Y' %} {nope}"
    )
    organisation.save()
    appointment = book(email_participant(name="<b>Chris</b> & co"))
    mail = smtp.to("chris@example.org")[0]
    text = _parts(mail)["text/plain"].get_content()
    html = _parts(mail)["text/html"].get_content()
    link = appointment.participants.get().join_url

    assert "For <b>Chris</b> & co: Dr. Alex Agent expects you on" in text
    assert f"{link} {{{{ 7|add:1 }}}} {{% now 'Y' %}} {{nope}}" in text
    assert "&lt;b&gt;Chris&lt;/b&gt; &amp; co" in html and "<b>Chris</b>" not in html


def test_sms_participant_gets_no_email(smtp, book, agent, sms_outbox):
    book(sms_participant())
    assert [rcpts for _f, rcpts in smtp.envelopes] == [[agent.email]]
    assert len(sms_outbox) == 1


@pytest.mark.parametrize(
    "day",
    [
        # The Mondays after the last Sunday of March and of October 2027: the first days of summer and winter time.
        datetime(2027, 3, 29, 9, 0, tzinfo=AMSTERDAM),
        datetime(2027, 11, 1, 9, 0, tzinfo=AMSTERDAM),
    ],
)
def test_a_consult_at_nine_shows_nine_across_daylight_saving(
    smtp, book, organisation, sms_outbox, day, django_capture_on_commit_callbacks
):
    ReminderRuleFactory(organisation=organisation, amount=1, unit="days")
    appointment = book(email_participant(language="nl"), sms_participant(), start=day, end=day + timedelta(minutes=30))
    mail = smtp.to("chris@example.org")[0]
    assert "09:00" in mail["Subject"]
    assert "09:00\u201309:30" in _parts(mail)["text/plain"].get_content()
    assert _event(mail).decoded("dtstart").astimezone(AMSTERDAM).hour == 9
    assert appointment.start.utcoffset() is not None
    assert "09:00" in sms_outbox[0].body
    # The reminders a day before, sent across the change itself, also say nine.
    with django_capture_on_commit_callbacks(execute=True):
        sweep(now=day - timedelta(hours=23))
    assert set(Notification.objects.filter(purpose=Purpose.REMINDER).values_list("status", flat=True)) == {"sent"}
    assert "09:00" in smtp.to("chris@example.org")[-1]["Subject"]
    assert "Herinnering" in smtp.to("chris@example.org")[-1]["Subject"]
    assert "09:00" in sms_outbox[-1].body
