"""Who may start a consult and when: the rule behind the Online consult button is the one starting enforces."""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from audit.models import AuditEvent
from audit.services import Action
from scheduling import lifecycle
from scheduling.services import cancel_appointment
from tests.factories import agent_of


@pytest.fixture
def consult(book, organisation):
    # Tomorrow 10:00-10:30 in the organisation's time zone; its links work until 11:00.
    with timezone.override(organisation.tzinfo):
        yield book()


def refusal(consult, user, now: datetime) -> str:
    """The code check_start raises with, "" when it lets the user start; a page never offers what it refuses."""
    try:
        lifecycle.check_start(appointment=consult, user=user, now=now)
    except PermissionDenied:
        code = "agent"
    except ValidationError as error:
        code = error.code
    else:
        code = ""
    if code:
        assert not lifecycle.may_start(consult, user, now)
    return code


def test_online_consult_is_offered_from_the_consults_day_until_its_links_expire(consult, agent):
    day = timezone.localtime(consult.start).replace(hour=0, minute=0)
    before = day - timedelta(minutes=1)
    assert refusal(consult, agent, before) == "" and not lifecycle.may_start(consult, agent, before)
    for now in (day, consult.end + timedelta(minutes=29)):
        assert refusal(consult, agent, now) == "" and lifecycle.may_start(consult, agent, now)
    assert refusal(consult, agent, consult.link_expires_at) == "expired"


def test_nobody_but_the_agent_may_start_it_and_nobody_a_cancelled_one(consult, agent, assistant, team):
    during = consult.start
    assert refusal(consult, assistant, during) == "agent"
    assert refusal(consult, agent_of(team, email="other@example.com"), during) == "agent"
    cancel_appointment(appointment=consult, cancelled_by=assistant)
    assert refusal(consult, agent, during) == "cancelled"


def test_a_consult_ended_twice_is_recorded_once(consult, agent):
    lifecycle.mark_started(appointment=consult, by=agent)
    assert lifecycle.mark_ended(appointment=consult, by=agent)
    assert not lifecycle.mark_ended(appointment=consult, by=agent)
    consult.refresh_from_db()
    assert consult.started_at is not None and consult.ended_at is not None
    assert AuditEvent.objects.filter(action=Action.CONSULT_ENDED).count() == 1


def test_a_refusal_reaches_the_person_in_their_language(client, consult, assistant, settings):
    # The team's assistant sees the consult, but only its agent may start it.
    client.force_login(assistant)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    with translation.override("en"):
        response = client.post(reverse("waitingroom:start", args=[consult.public_id]))
    assert response.status_code == 403
    assert "Alleen de behandelaar van het consult kan het starten." in response.content.decode()


def test_an_ended_consult_offers_no_online_consult_any_more(consult, agent):
    during = consult.start + timedelta(minutes=5)
    assert lifecycle.may_start(consult, agent, during)
    lifecycle.mark_started(appointment=consult, by=agent, now=during)
    consult.refresh_from_db()
    assert lifecycle.may_start(consult, agent, during)  # in progress: "Back to the consult"
    lifecycle.mark_ended(appointment=consult, by=agent)
    consult.refresh_from_db()
    assert not lifecycle.may_start(consult, agent, during + timedelta(minutes=1))
