"""The printable day list: who sees whose consults, and the contact details to phone a client."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scheduling.models import Channel
from tests.factories import AppointmentFactory, ParticipantFactory, TeamFactory, agent_of, assistant_of


@pytest.fixture
def day_of(tomorrow_at, team, agent):
    """Tomorrow's consults: one of the agent's with an SMS client, one of a colleague, one of another team."""
    mine = AppointmentFactory(team=team, agent=agent, subject="Intake", start=tomorrow_at(9), end=tomorrow_at(9, 30))
    ParticipantFactory(appointment=mine, name="Jan Peters", channel=Channel.SMS, email="", phone="+31612345678")
    ParticipantFactory(appointment=mine, name="Els Peters", email="els@example.org")
    colleague = AppointmentFactory(team=team, agent=agent_of(team, full_name="Dr. Bo Colleague"), subject="Check-up")
    colleague.start, colleague.end = tomorrow_at(11), tomorrow_at(11, 30)
    colleague.save()
    ParticipantFactory(appointment=colleague, name="Piet Smit")
    other_team = TeamFactory(organisation=team.organisation)
    elsewhere = AppointmentFactory(team=other_team, subject="Other team", start=tomorrow_at(10), end=tomorrow_at(11))
    ParticipantFactory(appointment=elsewhere, name="Kees Anders")
    return tomorrow_at(0).date()


def day_list(client, day, **query):
    return client.get(reverse("scheduling:day-list"), {"date": day.isoformat(), **query})


def test_the_agent_sees_their_own_consults_with_phone_number_email_and_channel(client, agent, day_of):
    client.force_login(agent)
    content = day_list(client, day_of).content.decode()
    assert "Intake" in content and "Jan Peters" in content and "Els Peters" in content
    assert "06 12345678" in content and 'href="tel:+31612345678"' in content
    assert "els@example.org" in content and "SMS" in content
    assert "09:00\u201309:30" in content
    assert "Piet Smit" not in content and "Kees Anders" not in content


def test_an_assistant_sees_the_agents_of_her_teams_and_not_another_team(client, team, day_of):
    client.force_login(assistant_of(team))
    response = day_list(client, day_of)
    agents = [agent_day.agent.full_name for agent_day in response.context["agents"]]
    assert agents == ["Dr. Alex Agent", "Dr. Bo Colleague"]
    content = response.content.decode()
    assert "Piet Smit" in content and "Kees Anders" not in content


def test_the_list_follows_the_agent_filter(client, team, agent, day_of):
    client.force_login(assistant_of(team))
    response = day_list(client, day_of, agent=agent.pk)
    assert [agent_day.agent for agent_day in response.context["agents"]] == [agent]


def test_someone_of_another_organisation_sees_nothing(client, day_of):
    client.force_login(agent_of(TeamFactory()))
    response = day_list(client, day_of)
    assert response.context["agents"] == []
    assert b"No consults planned on this day." in response.content


def test_the_day_list_reads_a_fixed_number_of_queries(client, team, agent, day_of, tomorrow_at):
    client.force_login(assistant_of(team))
    with CaptureQueriesContext(connection) as few:
        day_list(client, day_of)
    for hour in range(12, 18):
        ParticipantFactory(appointment=AppointmentFactory(team=team, agent=agent, start=tomorrow_at(hour)))
    with CaptureQueriesContext(connection) as many:
        assert len(day_list(client, day_of).context["agents"][0].lines) == 7
    assert len(few) == len(many)


def test_the_agenda_links_to_the_day_list_of_its_day(client, agent, day_of):
    client.force_login(agent)
    agenda = client.get(reverse("scheduling:agenda"), {"date": day_of.isoformat()}).content.decode()
    assert f"{reverse('scheduling:day-list')}?date={day_of.isoformat()}" in agenda
