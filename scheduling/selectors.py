"""Reads of appointments, always through what the user may see."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from accounts.models import Role, User

from .models import Appointment, AppointmentQuerySet, Participant, TimeRequest


def visible_appointments(*, user: User) -> AppointmentQuerySet:
    """Admins see their organisation; assistants their teams' consults; agents their own."""
    if user.organisation_id is None:
        return Appointment.objects.none()
    qs = Appointment.objects.filter(organisation_id=user.organisation_id)
    if user.roles.is_admin:
        return qs
    return qs.filter(Q(team_id__in=user.roles.team_ids(Role.ASSISTANT)) | Q(agent=user))


def manageable_appointments(*, user: User) -> AppointmentQuerySet:
    """Consults the user may edit, reassign or cancel: admins and the team's assistants."""
    if user.organisation_id is None:
        return Appointment.objects.none()
    qs = Appointment.objects.filter(organisation_id=user.organisation_id)
    if user.roles.is_admin:
        return qs
    return qs.filter(team_id__in=user.roles.team_ids(Role.ASSISTANT))


def may_see(*, user: User, appointment: Appointment) -> bool:
    """visible_appointments() for one consult already loaded, without a query."""
    if user.organisation_id is None or appointment.organisation_id != user.organisation_id:
        return False
    return (
        user.roles.is_admin
        or appointment.team_id in user.roles.team_ids(Role.ASSISTANT)
        or appointment.agent_id == user.pk
    )


def can_manage(*, user: User, appointment: Appointment) -> bool:
    if appointment.organisation_id != user.organisation_id:
        return False
    return user.roles.is_admin or appointment.team_id in user.roles.team_ids(Role.ASSISTANT)


def _with_details(qs: QuerySet[Appointment]) -> QuerySet[Appointment]:
    return qs.select_related("team", "agent", "booked_by").prefetch_related(
        Prefetch("participants", queryset=Participant.objects.active(), to_attr="active_participants")
    )


def get_visible_appointment(*, user: User, public_id: uuid.UUID | str) -> Appointment:
    """The consult, or 404 when it does not exist or the user may not see it (no difference is shown)."""
    try:
        return _with_details(visible_appointments(user=user)).get(public_id=public_id)
    except (Appointment.DoesNotExist, ValueError):
        raise Http404


def get_manageable_appointment(*, user: User, public_id: uuid.UUID | str) -> Appointment:
    try:
        return _with_details(manageable_appointments(user=user)).get(public_id=public_id)
    except (Appointment.DoesNotExist, ValueError):
        raise Http404


def appointments_between(
    *,
    user: User,
    start: datetime,
    end: datetime,
    team_id: int | None = None,
    agent_id: int | None = None,
) -> list[Appointment]:
    """Visible scheduled consults overlapping [start, end), with team, agent and participants' names and
    whether a client asks for another time (`asks_other_time`): 2 queries.

    For the overview and the agenda: only what their rows show and what `lifecycle.may_start` reads is
    loaded (a busy week is some 450 rows, and building unused fields was a third of the overview's time)."""
    qs = visible_appointments(user=user).overlapping(start, end).scheduled()
    if team_id:
        qs = qs.filter(team_id=team_id)
    if agent_id:
        qs = qs.filter(agent_id=agent_id)
    participants = Participant.objects.active().only("appointment", "name")
    return list(
        qs.select_related("team", "agent")
        .only(*_LIST_FIELDS)
        .annotate(asks_other_time=Exists(TimeRequest.objects.open().filter(appointment=OuterRef("pk"))))
        .prefetch_related(Prefetch("participants", queryset=participants, to_attr="active_participants"))
        .order_by("start", "pk")
    )


_LIST_FIELDS = (
    "public_id",
    "organisation",
    "series",
    "start",
    "end",
    "subject",
    "status",
    "started_at",
    "ended_at",
    "team__name",
    "agent__full_name",
)


@dataclass(frozen=True)
class Conflict:
    """Another consult of the agent at that time, as the person booking may see it. An agent may work in
    teams whose consults this person may not open: then only that the agent is busy, and when, is told."""

    start: datetime
    end: datetime
    # Both None for a consult the person may not see ("another appointment").
    subject: str | None
    public_id: uuid.UUID | None

    @property
    def visible(self) -> bool:
        return self.public_id is not None


def conflicts_for(*, user: User, appointments: Iterable[Appointment]) -> list[Conflict]:
    """The agent's overlapping consults told to `user`, in time order, each consult once."""
    unique = {appointment.pk: appointment for appointment in appointments}.values()
    return [
        Conflict(a.start, a.end, a.subject, a.public_id)
        if may_see(user=user, appointment=a)
        else Conflict(a.start, a.end, None, None)
        for a in sorted(unique, key=lambda a: (a.start, a.pk))
    ]


def agent_conflicts(*, agent: User, start: datetime, end: datetime, exclude_pk: int | None = None) -> list[Appointment]:
    """The agent's scheduled consults that overlap the given time."""
    qs = Appointment.objects.scheduled().overlapping(start, end).filter(agent=agent).order_by("start")
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return list(qs[:10])


def series_sessions(*, user: User, appointment: Appointment) -> list[Appointment]:
    """The sessions of the consult's series that the user may see, in time order (one query)."""
    if appointment.series_id is None:
        return []
    return list(visible_appointments(user=user).filter(series_id=appointment.series_id).order_by("start", "pk"))


def day_list(
    *, user: User, start: datetime, end: datetime, team_id: int | None = None, agent_id: int | None = None
) -> list[Appointment]:
    """Visible scheduled consults in [start, end) with their clients' contact details, for the printed day
    list an agent phones from when the video fails: 2 queries."""
    qs = visible_appointments(user=user).overlapping(start, end).scheduled()
    if team_id:
        qs = qs.filter(team_id=team_id)
    if agent_id:
        qs = qs.filter(agent_id=agent_id)
    participants = Participant.objects.active().only("appointment", "name", "channel", "email", "phone")
    return list(
        qs.select_related("agent")
        .only("public_id", "start", "end", "subject", "agent__full_name")
        .prefetch_related(Prefetch("participants", queryset=participants, to_attr="active_participants"))
        .order_by("agent__full_name", "agent_id", "start", "pk")
    )


def open_time_requests(*, appointment: Appointment) -> list[TimeRequest]:
    """The clients' requests for another time that the consult has not answered yet (by a change or its
    cancellation), oldest first. Callers have checked that the user may see the consult."""
    return list(TimeRequest.objects.open().filter(appointment=appointment).select_related("participant"))
