"""SMS texts as a client's phone receives them: the organisation's name on every one, in GSM-7, and an
invitation or reminder in one segment with a production address and long, realistic names."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone, translation

from notifications.content import build_content
from notifications.models import NOTICE_PURPOSES, Notification, Purpose
from notifications.sms import locmem
from notifications.texts import is_gsm7, plain, render_sms, segments
from notifications.wording import sms_bodies
from scheduling.changes import cancel_consult, change_consult
from scheduling.recurrence import Frequency, Pattern
from scheduling.services import ParticipantInput
from scheduling.values import Scope
from tests.factories import ReminderRuleFactory, sms_participant

PRODUCTION_SITE = "https://videoconsult.praktijkdelinde.nl"
LONG_SENDER = "Huisartsenpraktijk De Linde Utrecht"
LONG_AGENT = "dr. Annemarie van den Berg-Jansen"


@pytest.fixture
def production(settings, organisation, agent):
    settings.SITE_URL = PRODUCTION_SITE
    organisation.sender_name = LONG_SENDER
    organisation.save()
    agent.full_name = LONG_AGENT
    agent.save()
    ReminderRuleFactory(organisation=organisation, amount=1, unit="hours")
    return organisation


@pytest.fixture
def long_date(organisation):
    """14:30 on a day written with two digits (the 24th, weeks ahead): the longest short date there is."""
    day = timezone.localdate(timezone=organisation.tzinfo) + timedelta(days=40)
    return datetime(day.year, day.month, 24, 14, 30, tzinfo=organisation.tzinfo)


def _rendered(appointment, purpose: str) -> str:
    row = Notification.objects.get(appointment=appointment, purpose=purpose, channel="sms")
    return render_sms(build_content(row))


@pytest.mark.parametrize("language", ["nl", "en"])
def test_invitation_and_reminder_fit_one_gsm7_segment_with_a_production_address(production, book, language, long_date):
    appointment = book(
        sms_participant(language=language), start=long_date, end=long_date + timedelta(minutes=30), send=False
    )
    participant = appointment.participants.get()
    assert " 24 " in _rendered(appointment, Purpose.INVITATION)
    for purpose in (Purpose.INVITATION, Purpose.REMINDER):
        body = _rendered(appointment, purpose)
        assert body.startswith(f"{LONG_SENDER}: "), body
        assert participant.short_join_url in body and body.endswith(participant.short_join_url)
        assert is_gsm7(body) and segments(body) == 1, (len(body), body)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_agent_is_named_whenever_the_segment_has_room(settings, organisation, book, language):
    settings.SITE_URL = PRODUCTION_SITE
    organisation.sender_name = "Praktijk De Linde"
    organisation.save()
    appointment = book(sms_participant(language=language), send=False)
    body = _rendered(appointment, Purpose.INVITATION)
    assert "Dr. Alex Agent" in body and segments(body) == 1, body


def test_a_text_too_long_for_one_segment_keeps_the_fullest_wording(organisation, book, agent):
    organisation.sender_name = "Stichting voor Psychologische en Psychiatrische Zorg Midden-Nederland, locatie Zeist"
    organisation.save()
    appointment = book(sms_participant(language="en"), send=False)
    body = _rendered(appointment, Purpose.INVITATION)
    # Two segments either way: the message names the agent rather than saving nothing.
    assert segments(body) == 2 and agent.full_name in body, body


def test_every_sms_of_a_series_and_its_changes_carries_the_sender(production, series, first_start, assistant):
    booked = series(first_start, Pattern(Frequency.WEEKLY, count=6), sms_participant(language="nl"))
    sessions = list(booked.occurrences.order_by("start"))
    invitation = locmem.outbox[-1].body
    assert segments(invitation) <= 2, invitation  # the series invitation may take two

    def change(session, scope, shift):
        rows = [
            ParticipantInput(p.name, p.channel, p.language, p.email, p.phone, p.pk)
            for p in session.participants.active()
        ]
        change_consult(
            appointment=session,
            changed_by=assistant,
            expected_sequence=session.sequence,
            scope=scope,
            team=session.team,
            agent=session.agent,
            start=session.start + shift,
            end=session.end + shift,
            subject=session.subject,
            message=session.message,
            participants=rows,
            allow_conflicts=True,
        )

    change(sessions[1], Scope.THIS, timedelta(hours=1))  # the single-session change once dropped the name
    sessions[3].refresh_from_db()
    change(sessions[3], Scope.FOLLOWING, timedelta(hours=2))
    sessions[2].refresh_from_db()
    cancel_consult(appointment=sessions[2], cancelled_by=assistant, scope=Scope.THIS)
    sessions[4].refresh_from_db()
    cancel_consult(appointment=sessions[4], cancelled_by=assistant, scope=Scope.FOLLOWING)
    reminder = _rendered(sessions[0], Purpose.REMINDER)

    rows = Notification.objects.filter(appointment__series=booked, channel="sms").exclude(purpose=Purpose.REMINDER)
    purposes = {row.purpose for row in rows}
    assert purposes == {
        Purpose.SERIES,
        Purpose.UPDATE,
        Purpose.SERIES_UPDATE,
        Purpose.CANCELLATION,
        Purpose.SERIES_CANCELLATION,
    }
    bodies = [render_sms(build_content(row)) for row in rows] + [reminder]
    for body in bodies:
        assert body.startswith(f"{LONG_SENDER}: ") and body.count(LONG_SENDER) == 1, body
        assert is_gsm7(body), body
    assert segments(reminder) == 1


# Notices to staff about a client's own change go by email only.
@pytest.mark.parametrize("purpose", [purpose for purpose in Purpose if purpose not in NOTICE_PURPOSES])
@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_sms_text_is_gsm7_in_both_languages(purpose, language):
    with translation.override(language):
        for body in sms_bodies(purpose):
            assert is_gsm7(body), body


def test_names_with_letters_outside_gsm7_lose_only_the_accent(production, book, agent):
    agent.full_name = "Zoë Çelik-Ångström"
    agent.save()
    appointment = book(sms_participant(language="en"), send=False)
    body = _rendered(appointment, Purpose.INVITATION)
    assert is_gsm7(body) and segments(body) == 1, body
    typeset = "Zo\u00eb \u00c7elik-\u00c5ngstr\u00f6m \u2018t Hooft \u2013 \u201cNo\u00ebl\u201d"
    assert plain(typeset) == 'Zoe \u00c7elik-\u00c5ngstr\u00f6m \'t Hooft - "Noel"'
    assert plain("😀") == "😀" and not is_gsm7(plain("😀"))


def test_segments_know_the_gsm7_extension_and_ucs2_limits():
    assert segments("a" * 153 * 2) == 2 and segments("a" * (153 * 2 + 1)) == 3
    assert segments("{" * 80) == 1 and segments("{" * 81) == 2  # two septets each
    assert segments("ë" * 70) == 1 and segments("ë" * 71) == 2  # "ë" is not GSM-7: UCS-2
    assert segments("é" * 160) == 1  # "é" is
