"""An agent who works in two teams: the assistant of one team learns that the agent is busy, and when,
but never the subject of a consult of the other team, which she may not open."""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from scheduling.models import Appointment
from tests.factories import (
    AppointmentFactory,
    MembershipFactory,
    ReminderRuleFactory,
    TeamFactory,
    admin_of,
    assistant_of,
)

URL = reverse("scheduling:appointment-create")
PREVIEW_URL = reverse("scheduling:series-preview")
SECRET_SUBJECT = "Burn-out intake mevrouw Jansen"


@pytest.fixture
def other_team(organisation):
    return TeamFactory(organisation=organisation, name="Bedrijfsarts")


@pytest.fixture
def hidden_consult(agent, other_team, organisation):
    """The agent's consult in the other team, tomorrow 10:00-10:30."""
    MembershipFactory(user=agent, team=other_team, role=Role.AGENT)
    day = timezone.localdate(timezone=organisation.tzinfo) + timedelta(days=1)
    start = datetime(day.year, day.month, day.day, 10, tzinfo=organisation.tzinfo)
    return AppointmentFactory(
        team=other_team, agent=agent, start=start, end=start + timedelta(minutes=30), subject=SECRET_SUBJECT
    )


def test_the_booking_forms_conflict_hides_another_teams_subject(assistant_client, form_data, hidden_consult):
    response = assistant_client.post(URL, form_data())
    assert response.status_code == 200
    page = response.content.decode()
    assert SECRET_SUBJECT not in page
    assert "another appointment" in page
    assert "10:00\u201310:30" in page
    [conflict] = response.context["conflicts"]
    assert (conflict.subject, conflict.public_id) == (None, None)
    # Opening it is refused as well: the two answers agree.
    detail = reverse("scheduling:appointment-detail", kwargs={"public_id": hidden_consult.public_id})
    assert assistant_client.get(detail).status_code == 404
    assert Appointment.objects.count() == 1


def test_the_series_date_preview_hides_another_teams_subject(assistant_client, form_data, hidden_consult, organisation):
    ReminderRuleFactory(organisation=organisation)
    day = hidden_consult.start.astimezone(organisation.tzinfo).date()
    repeat = {"repeat-repeat": "on", "repeat-frequency": "DAILY", "repeat-interval": "1", "repeat-ends": "count"}
    data = form_data(date=day.isoformat()) | repeat | {"repeat-count": "3"}
    for url in (PREVIEW_URL, URL):
        response = assistant_client.post(url, data)
        page = response.content.decode()
        assert SECRET_SUBJECT not in page
        assert "another appointment" in page


def test_who_may_open_the_consult_sees_its_subject_in_the_conflict(client, form_data, hidden_consult, other_team):
    client.force_login(assistant_of(other_team))
    response = client.post(URL, form_data(team=str(other_team.pk)))
    assert SECRET_SUBJECT in response.content.decode()
    client.force_login(admin_of(other_team.organisation))
    response = client.post(URL, form_data())
    [conflict] = response.context["conflicts"]
    assert (conflict.subject, conflict.public_id) == (SECRET_SUBJECT, hidden_consult.public_id)
