"""Arrivals on every page of an agent, without a browser: who is named to whom, and which pages listen."""

from django.test import Client
from django.urls import reverse

from accounts.models import Role
from tests.factories import MembershipFactory, TeamFactory, agent_of, assistant_of


def arrive(participant):
    Client().post(reverse("waitingroom:presence", args=[participant.token]))


def arrivals_of(user):
    client = Client()
    client.force_login(user)
    return client.get(reverse("waitingroom:arrivals")).json()


def test_the_agent_hears_who_waits_for_their_consult_with_a_link_to_it(agent, participant, consult):
    assert arrivals_of(agent) == {"html": "", "waiting": []}
    arrive(participant)
    arrivals = arrivals_of(agent)
    assert arrivals["waiting"] == [participant.pk]
    assert participant.name in arrivals["html"]
    assert f'href="/waiting-room/#consult-{consult.public_id}"' in arrivals["html"]
    # The notification's words name the time, never the client.
    assert 'data-notify="A client is waiting for the consult at ' in arrivals["html"]


def test_another_agent_of_the_team_or_organisation_hears_nothing(team, participant):
    colleague = agent_of(team, full_name="Dr. Other")
    elsewhere = agent_of(TeamFactory(), full_name="Dr. Elsewhere")
    arrive(participant)
    assert arrivals_of(colleague) == {"html": "", "waiting": []}
    assert arrivals_of(elsewhere) == {"html": "", "waiting": []}


def test_an_agent_who_also_assists_the_team_hears_only_her_own_consults(team, participant):
    # Her waiting room shows the team's clients; the bar on her other pages calls her only for her own.
    both = agent_of(team, full_name="Dr. Both")
    MembershipFactory(user=both, team=team, role=Role.ASSISTANT)
    arrive(participant)
    client = Client()
    client.force_login(both)
    assert client.get(reverse("waitingroom:waiting-room-state")).json()["waiting"] == [participant.pk]
    assert arrivals_of(both) == {"html": "", "waiting": []}


def test_an_assistant_hears_no_arrivals_outside_the_waiting_room(assistant, participant):
    # She sees the team's clients in the waiting room, as before; the bar is for the consults one leads.
    arrive(participant)
    assert arrivals_of(assistant) == {"html": "", "waiting": []}
    client = Client()
    client.force_login(assistant)
    assert "data-arrivals-bar" not in client.get(reverse("scheduling:dashboard")).content.decode()
    assert client.get(reverse("waitingroom:waiting-room-state")).json()["waiting"] == [participant.pk]


def test_signed_out_nobody_hears_arrivals(client, participant):
    arrive(participant)
    response = client.get(reverse("waitingroom:arrivals"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_every_page_of_an_agent_listens_but_the_waiting_room_shows_its_own_banner(agent, team):
    client = Client()
    client.force_login(agent)
    overview = client.get(reverse("scheduling:dashboard")).content.decode()
    assert "data-arrivals-bar" in overview and "js/arrivals.js" in overview
    waiting_room = client.get(reverse("waitingroom:waiting-room")).content.decode()
    assert "data-arrivals-bar" not in waiting_room and "data-notify-toggle" in waiting_room
    # The shared scripts come once, from the base template.
    assert waiting_room.count("js/live.js") == 1
    assistant = Client()
    assistant.force_login(assistant_of(team, full_name="Bea Assistant"))
    assert "js/arrivals.js" not in assistant.get(reverse("waitingroom:waiting-room")).content.decode()
