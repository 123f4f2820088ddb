"""Who may see and change which consults: one matrix over every consult page."""

import pytest
from django.urls import reverse

from scheduling.models import Status
from tests.factories import AppointmentFactory, TeamFactory, admin_of, agent_of, assistant_of


@pytest.fixture
def world(db):
    """Two teams in one organisation, one team in another, a consult in each."""
    team_a = TeamFactory(name="A")
    team_b = TeamFactory(name="B", organisation=team_a.organisation)
    team_other = TeamFactory(name="Elsewhere")
    return {
        "consult_a": AppointmentFactory(team=team_a),
        "consult_b": AppointmentFactory(team=team_b),
        "consult_other_org": AppointmentFactory(team=team_other),
        "assistant_a": assistant_of(team_a),
        "agent_a": agent_of(team_a),
        "admin": admin_of(team_a.organisation),
        "other_admin": admin_of(team_other.organisation),
    }


# (user, consult, page, expected status)
MATRIX = [
    ("assistant_a", "consult_a", "scheduling:appointment-detail", 200),
    ("assistant_a", "consult_a", "scheduling:appointment-edit", 200),
    ("assistant_a", "consult_a", "scheduling:appointment-cancel", 200),
    ("assistant_a", "consult_b", "scheduling:appointment-detail", 404),
    ("assistant_a", "consult_b", "scheduling:appointment-edit", 404),
    ("assistant_a", "consult_b", "scheduling:appointment-cancel", 404),
    ("assistant_a", "consult_other_org", "scheduling:appointment-detail", 404),
    ("admin", "consult_b", "scheduling:appointment-detail", 200),
    ("admin", "consult_b", "scheduling:appointment-edit", 200),
    ("admin", "consult_other_org", "scheduling:appointment-detail", 404),
    ("admin", "consult_other_org", "scheduling:appointment-cancel", 404),
    ("other_admin", "consult_a", "scheduling:appointment-detail", 404),
    # An agent sees the consults booked for them elsewhere, but changing them is the assistants' work.
    ("agent_a", "consult_a", "scheduling:appointment-detail", 404),
    ("agent_a", "consult_b", "scheduling:appointment-detail", 404),
]


@pytest.mark.parametrize(("who", "consult", "page", "status"), MATRIX)
def test_consult_pages_answer_by_role(client, world, who, consult, page, status):
    client.force_login(world[who])
    response = client.get(reverse(page, args=[world[consult].public_id]))
    assert response.status_code == status


def test_agent_sees_own_consult_without_change_buttons(client, world):
    consult = world["consult_a"]
    client.force_login(consult.agent)
    response = client.get(reverse("scheduling:appointment-detail", args=[consult.public_id]))
    assert response.status_code == 200
    assert reverse("scheduling:appointment-edit", args=[consult.public_id]).encode() not in response.content
    assert client.get(reverse("scheduling:appointment-edit", args=[consult.public_id])).status_code == 404


@pytest.mark.parametrize("consult", ["consult_b", "consult_other_org"])
def test_posting_cancel_for_a_foreign_consult_changes_nothing(client, world, consult):
    client.force_login(world["assistant_a"])
    response = client.post(reverse("scheduling:appointment-cancel", args=[world[consult].public_id]))
    assert response.status_code == 404
    world[consult].refresh_from_db()
    assert world[consult].status == Status.SCHEDULED


def test_overview_lists_only_visible_consults(client, world):
    client.force_login(world["assistant_a"])
    days = client.get(reverse("scheduling:dashboard")).context["days"]
    listed = {a.pk for day in days for a in day.appointments}
    assert listed == {world["consult_a"].pk}


def test_overview_ignores_filter_on_a_foreign_team(client, world):
    client.force_login(world["assistant_a"])
    response = client.get(reverse("scheduling:dashboard"), {"team": world["consult_b"].team_id})
    listed = {a.pk for day in response.context["days"] for a in day.appointments}
    assert listed == {world["consult_a"].pk}


def test_booking_for_a_foreign_team_is_refused(client, world):
    client.force_login(world["assistant_a"])
    consult_b = world["consult_b"]
    response = client.post(
        reverse("scheduling:appointment-create"),
        {"team": consult_b.team_id, "agent": consult_b.agent_id, "participants-TOTAL_FORMS": 0},
    )
    assert "Select a valid choice" in response.context["form"].errors["team"][0]
