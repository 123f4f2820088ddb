"""Small states of the consult page as a person reads them: an ended consult offers no Online consult, a
change is listed as "Wijziging" (the noun, not the button's "Wijzigen"), and a copy-link participant's channel
badge reads as a fact, not as an action."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from scheduling import lifecycle
from tests.factories import email_participant, link_participant


def consult_page(client, appointment, *, language: str = "en") -> str:
    client.cookies["django_language"] = language
    # The page speaks the person's language (the cookie), whatever the test's own language is.
    with translation.override("en"):
        response = client.get(reverse("scheduling:appointment-detail", args=[appointment.public_id]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def today(book):
    start = (timezone.now() + timedelta(minutes=10)).replace(second=0, microsecond=0)
    return book(start=start, end=start + timedelta(minutes=30))


def test_an_ended_consult_page_offers_no_online_consult(client, agent, today):
    client.force_login(agent)
    assert "button--start" in consult_page(client, today) and "Online consult" in consult_page(client, today)
    lifecycle.mark_started(appointment=today, by=agent)
    today.refresh_from_db()
    assert "Back to the consult" in consult_page(client, today)
    lifecycle.mark_ended(appointment=today, by=agent)
    today.refresh_from_db()
    page = consult_page(client, today)
    assert "button--start" not in page
    # Nor does the video room's note send the agent to a button that is gone; the page says when it ended.
    assert "Online consult" not in page and "Back to the consult" not in page
    assert "Ended at" in page


def test_a_change_is_listed_as_wijziging_in_dutch(assistant_client, book, edit, tomorrow_at):
    appointment = book(email_participant(language="nl"))
    edit(appointment, start=tomorrow_at(11), end=tomorrow_at(11).replace(minute=30))
    page = consult_page(assistant_client, appointment, language="nl")
    kinds = [what.split(" · ")[0].strip() for what in re.findall(r'class="delivery__what">([^<]*)', page)]
    assert "Wijziging" in kinds and "Uitnodiging" in kinds, kinds
    assert "Wijzigen" not in kinds


@pytest.mark.parametrize(("language", "label"), [("en", "Link to share yourself"), ("nl", "Link om zelf te delen")])
def test_the_copy_link_channel_badge_reads_as_a_fact(assistant_client, book, language, label):
    appointment = book(link_participant())
    page = consult_page(assistant_client, appointment, language=language)
    assert f'<span class="badge">{label}</span>' in page
    # The real Copy link button stays; the badge is no longer worded as one.
    assert '<span class="badge">Copy link</span>' not in page
    assert '<span class="badge">Link kopiëren</span>' not in page
