"""The Django admin: organisation admins manage only their own organisation."""

import pytest
from django.urls import reverse

from accounts.models import Membership, Role, User
from tests.factories import AppointmentFactory, TeamFactory, UserFactory, admin_of


@pytest.fixture
def org_admin_client(client, organisation):
    client.force_login(admin_of(organisation))
    return client


def test_organisation_admin_reaches_admin_but_assistant_does_not(org_admin_client, client, assistant):
    assert org_admin_client.get(reverse("admin:index")).status_code == 200
    client.force_login(assistant)
    assert client.get(reverse("admin:index")).status_code == 302


def test_organisation_admin_sees_only_own_organisation(org_admin_client, organisation):
    other = TeamFactory()
    mine = TeamFactory(organisation=organisation)
    assert (
        org_admin_client.get(reverse("admin:accounts_organisation_change", args=[organisation.pk])).status_code == 200
    )
    foreign = org_admin_client.get(reverse("admin:accounts_organisation_change", args=[other.organisation.pk]))
    assert foreign.status_code == 302  # Django admin redirects unknown objects to the index with a message
    teams = org_admin_client.get(reverse("admin:accounts_team_changelist")).context["cl"].queryset
    assert mine in teams and other not in teams


def test_organisation_admin_creates_user_in_own_organisation_with_role(org_admin_client, organisation, team):
    response = org_admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "new.agent@example.com",
            "full_name": "New Agent",
            "language": "nl",
            "password1": "a-long-enough-secret",
            "password2": "a-long-enough-secret",
            "memberships-TOTAL_FORMS": 1,
            "memberships-INITIAL_FORMS": 0,
            "memberships-0-role": Role.AGENT,
            "memberships-0-team": team.pk,
            "video_account-TOTAL_FORMS": 0,
            "video_account-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="new.agent@example.com")
    assert user.organisation == organisation
    assert Membership.objects.filter(user=user, team=team, role=Role.AGENT).exists()


def test_organisation_admin_cannot_give_platform_rights(org_admin_client):
    form = org_admin_client.get(reverse("admin:accounts_user_add")).context["adminform"].form
    assert "is_superuser" not in form.fields and "organisation" not in form.fields


def test_appointments_are_read_only_in_admin(org_admin_client, team):
    appointment = AppointmentFactory(team=team)
    url = reverse("admin:scheduling_appointment_change", args=[appointment.pk])
    page = org_admin_client.get(url)
    assert page.status_code == 200
    org_admin_client.post(url, {"subject": "Changed behind the services' back"})
    appointment.refresh_from_db()
    assert appointment.subject == "Consult"
    assert org_admin_client.get(reverse("admin:scheduling_appointment_add")).status_code == 403


def test_other_organisations_appointments_are_hidden(org_admin_client):
    foreign = AppointmentFactory()
    url = reverse("admin:scheduling_appointment_change", args=[foreign.pk])
    assert org_admin_client.get(url).status_code == 302


def test_superuser_sees_everything(client, db):
    client.force_login(UserFactory(is_superuser=True, is_staff=True, organisation=None))
    AppointmentFactory()
    AppointmentFactory()
    assert client.get(reverse("admin:scheduling_appointment_changelist")).context["cl"].result_count == 2


def test_a_second_team_with_the_same_name_is_refused_with_a_message(org_admin_client, organisation, team):
    response = org_admin_client.post(reverse("admin:accounts_team_add"), {"name": team.name.upper()})
    assert response.status_code == 200
    assert "The organisation already has a team with this name." in response.content.decode()
    other = TeamFactory()
    # Another organisation may use the name.
    assert org_admin_client.post(reverse("admin:accounts_team_add"), {"name": other.name}).status_code == 302
