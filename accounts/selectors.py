"""Who may book for whom: read-only queries on teams and memberships."""

from collections.abc import Iterable

from django.db.models import QuerySet

from .models import Membership, Role, Team, User


def bookable_teams(*, user: User) -> QuerySet[Team]:
    """Teams the user may book consults for: their assistant teams, or every team for an admin."""
    if user.organisation_id is None:
        return Team.objects.none()
    teams = Team.objects.filter(organisation_id=user.organisation_id)
    if user.roles.is_admin:
        return teams
    return teams.filter(pk__in=user.roles.team_ids(Role.ASSISTANT))


def visible_teams(*, user: User) -> QuerySet[Team]:
    """Teams whose consults the user sees: every team for an admin, else those they assist or work in."""
    if user.organisation_id is None or user.roles.is_admin:
        return bookable_teams(user=user)
    team_ids = user.roles.team_ids(Role.ASSISTANT) | user.roles.team_ids(Role.AGENT)
    return Team.objects.filter(organisation_id=user.organisation_id, pk__in=team_ids)


def agents_by_team(*, teams: Iterable[Team]) -> dict[int, list[User]]:
    """Active agents of each team, in one query."""
    result: dict[int, list[User]] = {}
    memberships = (
        Membership.objects.filter(role=Role.AGENT, team__in=teams, user__is_active=True)
        .select_related("user")
        .order_by("user__full_name")
    )
    for membership in memberships:
        if membership.team_id is not None:  # always, through team__in; the column allows admins without a team
            result.setdefault(membership.team_id, []).append(membership.user)
    return result


def is_agent_of_team(*, user: User, team: Team) -> bool:
    return user.is_active and user.memberships.filter(role=Role.AGENT, team=team).exists()


def team_assistants(*, team_id: int) -> list[User]:
    """The active assistants of a team, in name order."""
    return list(
        User.objects.filter(is_active=True, memberships__team_id=team_id, memberships__role=Role.ASSISTANT)
        .distinct()
        .order_by("full_name", "pk")
    )
