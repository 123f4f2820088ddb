import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from accounts.models import Membership, Role
from accounts.selectors import bookable_teams
from tests.factories import TeamFactory, UserFactory, admin_of


def test_person_can_be_agent_and_assistant_in_several_teams(team):
    second = TeamFactory(organisation=team.organisation)
    user = UserFactory(organisation=team.organisation)
    for t, role in [(team, Role.AGENT), (team, Role.ASSISTANT), (second, Role.ASSISTANT)]:
        Membership.objects.create(user=user, team=t, role=role)
    assert user.roles.is_agent and user.roles.is_assistant
    assert set(bookable_teams(user=user)) == {team, second}


def test_admin_books_for_every_team_of_own_organisation_only(team):
    second = TeamFactory(organisation=team.organisation)
    TeamFactory()
    assert set(bookable_teams(user=admin_of(team.organisation))) == {team, second}


def test_admin_membership_has_no_team_and_others_need_one(team):
    user = UserFactory(organisation=team.organisation)
    with pytest.raises(IntegrityError):
        Membership.objects.create(user=user, team=team, role=Role.ADMIN)


def test_membership_in_another_organisations_team_is_invalid(team):
    user = UserFactory()
    with pytest.raises(ValidationError):
        Membership(user=user, team=team, role=Role.AGENT).clean()
