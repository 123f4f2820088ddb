"""The wording tables: a headline and an intro for every message the code makes and an SMS text for every
purpose, in Dutch and English."""

import itertools

import pytest
from django.utils import translation

from notifications.models import NOTICE_PURPOSES, Purpose
from notifications.wording import WORDING, Audience, sessions_label, sms_bodies, wording

VALUES = {
    "agent": "Dr. Anne de Vries",
    "subject": "Intake",
    "date": "Tuesday 24 November 2026",
    "time": "10:00",
    "end_time": "10:30",
    "count": 3,
    "client": "Chris Client",
}


def _messages_the_code_makes():
    for purpose, audience, cancelled in itertools.product(Purpose, Audience, (False, True)):
        # Reminders go to participants only (notifications.planning.reminder_rows); notices of a client's own
        # change to staff only (notifications.notices).
        if purpose == Purpose.REMINDER and audience == Audience.AGENT:
            continue
        if purpose in NOTICE_PURPOSES and audience == Audience.PARTICIPANT:
            continue
        yield purpose, audience, cancelled


@pytest.mark.parametrize(("purpose", "audience", "cancelled"), list(_messages_the_code_makes()))
def test_every_message_the_code_makes_has_a_headline_and_intro_in_dutch_and_english(purpose, audience, cancelled):
    entry = wording(purpose=purpose, audience=audience, consult_cancelled=cancelled)
    rendered = {}
    for language in ("nl", "en"):
        with translation.override(language):
            rendered[language] = entry.render(VALUES)
        headline, intro = rendered[language]
        assert headline and intro and "%(" not in headline + intro
    assert rendered["nl"][0] != rendered["en"][0] and rendered["nl"][1] != rendered["en"][1], "not translated"


def test_the_table_has_no_row_that_nothing_reaches():
    reached = {
        (purpose, audience, cancelled if purpose in (Purpose.CANCELLATION, Purpose.SERIES_CANCELLATION) else None)
        for purpose, audience, cancelled in _messages_the_code_makes()
    }
    assert set(WORDING) == reached


def test_a_handed_over_consult_tells_the_agent_who_has_it_now_in_dutch_and_english():
    entry = wording(purpose=Purpose.CANCELLATION, audience=Audience.AGENT, consult_cancelled=False)
    with translation.override("nl"):
        assert entry.render(VALUES) == (
            "Consult overgedragen: Tuesday 24 November 2026 om 10:00",
            "Het consult 'Intake' op Tuesday 24 November 2026 om 10:00 is nu bij Dr. Anne de Vries; het staat niet "
            "meer in uw agenda.",
        )
    with translation.override("en"):
        assert entry.render(VALUES) == (
            "Consult handed over: Tuesday 24 November 2026 at 10:00",
            "The consult 'Intake' on Tuesday 24 November 2026 at 10:00 is now with Dr. Anne de Vries; it is no "
            "longer in your agenda.",
        )


def test_a_series_invitation_counts_the_consults_and_labels_its_sessions():
    entry = wording(purpose=Purpose.SERIES, audience=Audience.PARTICIPANT, consult_cancelled=False)
    with translation.override("nl"):
        assert entry.render(VALUES)[0] == "Uitnodiging: 3 videoconsulten vanaf Tuesday 24 November 2026"
        assert sessions_label(Purpose.SERIES) == "Alle sessies"
    with translation.override("en"):
        assert entry.render(VALUES)[0] == "Invitation: 3 video consults from Tuesday 24 November 2026"
        assert sessions_label(Purpose.SERIES) == "All sessions"
        assert sessions_label(Purpose.INVITATION) == ""


def test_a_cancelled_consult_and_a_participant_taken_off_it_read_differently():
    cancelled = wording(purpose=Purpose.CANCELLATION, audience=Audience.PARTICIPANT, consult_cancelled=True)
    taken_off = wording(purpose=Purpose.CANCELLATION, audience=Audience.PARTICIPANT, consult_cancelled=False)
    with translation.override("en"):
        assert cancelled.render(VALUES)[1] == (
            "Your video consult with Dr. Anne de Vries on Tuesday 24 November 2026 at 10:00 has been cancelled. "
            "Your link no longer works."
        )
        assert taken_off.render(VALUES)[1] == (
            "You are no longer expected at the video consult on Tuesday 24 November 2026 at 10:00. "
            "Your link no longer works."
        )


@pytest.mark.parametrize("purpose", [purpose for purpose in Purpose if purpose not in NOTICE_PURPOSES])
def test_every_purpose_to_participants_has_an_sms_text_in_dutch_and_english(purpose):
    # Notices to staff go by email only (notifications.notices).
    values = {**VALUES, "date": "di 24 nov", "link": "https://consult.example.nl/j/abc"}
    texts = {}
    for language in ("nl", "en"):
        with translation.override(language):
            texts[language] = [body % values for body in sms_bodies(purpose)]
        assert texts[language] and all("%(" not in text for text in texts[language])
    assert all(nl != en for nl, en in zip(texts["nl"], texts["en"], strict=True))
