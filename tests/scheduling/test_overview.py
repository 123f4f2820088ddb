from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from scheduling.models import Appointment, Status
from tests.factories import AppointmentFactory, ParticipantFactory, TeamFactory, agent_of


def test_dashboard_groups_consults_by_local_day(assistant_client, team, agent, tomorrow_at):
    late = AppointmentFactory(team=team, agent=agent, start=tomorrow_at(23, 30), end=tomorrow_at(23, 50))
    ParticipantFactory(appointment=late, name="Night Owl")
    response = assistant_client.get(reverse("scheduling:dashboard"))
    days = response.context["days"]
    # 23:30 in Amsterdam is 22:30 UTC: still tomorrow locally, so it sits under tomorrow.
    assert [a.pk for a in days[1].appointments] == [late.pk]
    content = response.content.decode()
    assert "23:30" in content and "Night Owl" in content


def test_dashboard_leaves_out_cancelled_and_far_future(assistant_client, team, agent, tomorrow_at):
    AppointmentFactory(
        team=team,
        agent=agent,
        start=tomorrow_at(9),
        end=tomorrow_at(10),
        status=Status.CANCELLED,
        cancelled_at=timezone.now(),
    )
    AppointmentFactory(team=team, agent=agent, start=tomorrow_at(9) + timedelta(days=30))
    response = assistant_client.get(reverse("scheduling:dashboard"))
    assert response.context["total"] == 0
    assert b"No consults planned." in response.content


def test_dashboard_filters_by_agent(assistant_client, team, agent, tomorrow_at):
    colleague = agent_of(team)
    mine = AppointmentFactory(team=team, agent=agent, start=tomorrow_at(9))
    AppointmentFactory(team=team, agent=colleague, start=tomorrow_at(10))
    response = assistant_client.get(reverse("scheduling:dashboard"), {"agent": agent.pk})
    assert [a.pk for day in response.context["days"] for a in day.appointments] == [mine.pk]


def test_dashboard_filters_by_team(client, organisation, tomorrow_at):
    from tests.factories import admin_of

    team_a, team_b = TeamFactory(organisation=organisation), TeamFactory(organisation=organisation)
    in_a = AppointmentFactory(team=team_a, start=tomorrow_at(9))
    AppointmentFactory(team=team_b, start=tomorrow_at(10))
    client.force_login(admin_of(organisation))
    response = client.get(reverse("scheduling:dashboard"), {"team": team_a.pk})
    assert [a.pk for day in response.context["days"] for a in day.appointments] == [in_a.pk]


def test_agenda_places_consults_in_agent_columns(assistant_client, team, agent, tomorrow_at):
    colleague = agent_of(team, full_name="Zed Colleague")
    AppointmentFactory(team=team, agent=agent, start=tomorrow_at(9), end=tomorrow_at(9, 30))
    AppointmentFactory(team=team, agent=colleague, start=tomorrow_at(19), end=tomorrow_at(20, 15))
    day = tomorrow_at(0).date()
    response = assistant_client.get(reverse("scheduling:agenda"), {"date": day.isoformat()})
    columns = response.context["columns"]
    assert [c.agent for c in columns] == [agent, colleague]
    # The grid starts at 08:00; 09:00 is 60 minutes down; it grows to 21:00 for the evening consult.
    assert [(b["top"], b["height"]) for b in columns[0].blocks] == [(60, 30)]
    assert [(b["top"], b["height"]) for b in columns[1].blocks] == [(660, 75)]
    assert response.context["grid_minutes"] == (21 - 8) * 60


def test_agenda_with_unreadable_date_shows_today(assistant, assistant_client):
    response = assistant_client.get(reverse("scheduling:agenda"), {"date": "soon"})
    assert response.status_code == 200
    # Today where the practice is: between 23:00 and midnight UTC, Amsterdam is already on the next day.
    assert response.context["day"] == timezone.localdate(timezone=assistant.organisation.tzinfo)


def test_agent_sees_own_consults_on_dashboard(client, team, agent, tomorrow_at):
    mine = AppointmentFactory(team=team, agent=agent, start=tomorrow_at(9))
    AppointmentFactory(team=team, start=tomorrow_at(10))
    client.force_login(agent)
    response = client.get(reverse("scheduling:dashboard"))
    assert [a.pk for day in response.context["days"] for a in day.appointments] == [mine.pk]
    assert b"New consult" not in response.content


def _fill(team, agents, count: int, day: datetime) -> None:
    """Spread `count` consults over the agents across the dashboard's week, each with a participant."""
    for i in range(count):
        start = day + timedelta(days=i % 7, minutes=15 * (i // 7 % 40))
        appointment = AppointmentFactory(
            team=team,
            agent=agents[i % len(agents)],
            booked_by=agents[0],
            start=start,
            end=start + timedelta(minutes=15),
        )
        ParticipantFactory(appointment=appointment)


def _queries(client, method: str, url: str, data=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, data)
    assert response.status_code in (200, 302)
    return len(queries)


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("get", reverse("scheduling:dashboard"), None),
        ("get", reverse("scheduling:agenda"), "tomorrow"),
        ("get", reverse("scheduling:appointment-create"), None),
        ("post", reverse("scheduling:appointment-create"), "booking"),
    ],
)
def test_pages_run_the_same_queries_with_10_and_200_consults(
    assistant_client, team, agent, tomorrow_at, method, url, data
):
    agents = [agent, agent_of(team), agent_of(team)]

    def payload(n: int):
        if data == "tomorrow":
            return {"date": tomorrow_at(0).date().isoformat()}
        if data == "booking":
            start = tomorrow_at(8) + timedelta(days=8 + n)  # beyond the filled week: no conflicts
            return {
                "date": start.date().isoformat(),
                "start_time": "08:00",
                "end_time": "08:30",
                "team": team.pk,
                "agent": agent.pk,
                "subject": "Intake",
                "message": "Hello",
                "participants-TOTAL_FORMS": 1,
                "participants-INITIAL_FORMS": 0,
                "participants-0-name": "Jan",
                "participants-0-channel": "email",
                "participants-0-email": "jan@example.org",
                "participants-0-language": "nl",
            }
        return None

    _fill(team, agents, 10, tomorrow_at(8))
    with_10 = _queries(assistant_client, method, url, payload(1))
    _fill(team, agents, 190, tomorrow_at(8))
    assert Appointment.objects.count() >= 200
    with_200 = _queries(assistant_client, method, url, payload(2))
    assert with_10 == with_200


def test_day_links_keep_a_valid_filter_and_drop_an_invalid_one(assistant_client, team, agent, tomorrow_at):
    day = tomorrow_at(0).date()
    response = assistant_client.get(reverse("scheduling:agenda"), {"date": day.isoformat(), "agent": agent.pk})
    next_day = (day + timedelta(days=1)).isoformat()
    assert f'href="?date={next_day}&agent={agent.pk}"' in response.content.decode()
    response = assistant_client.get(reverse("scheduling:agenda"), {"date": day.isoformat(), "team": "<b>x"})
    assert f'href="?date={next_day}&"' in response.content.decode()
    assert "&lt;b&gt;x" not in response.content.decode()


def test_filters_are_offered_to_those_who_see_more_than_their_own_consults(client, assistant, agent):
    for user, shown in [(assistant, True), (agent, False)]:
        client.force_login(user)
        for name in ("scheduling:dashboard", "scheduling:agenda", "waitingroom:waiting-room"):
            page = client.get(reverse(name)).content.decode()
            assert ('class="filters"' in page) is shown, (user, name)
