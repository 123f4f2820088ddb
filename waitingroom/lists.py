"""The waiting list as the agent's and the assistants' pages show it: the day's consults in time order, each
client's state (not there, waiting or knocking, in the video room, taken out of the call), and who is
waiting, so that the page rings, counts them in its title and names them in a banner. Shown on the waiting
room page and beside a built-in call."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from scheduling.filters import OverviewFilter
from scheduling.models import Appointment, Participant
from scheduling.selectors import can_manage, get_visible_appointment

from .calls import peer_id
from .selectors import waiting_room
from .services import is_waiting


@dataclass(frozen=True)
class WaitingClient:
    """Someone waiting (or knocking) now, as the banner above the list names them."""

    participant_id: int
    name: str
    consult: Appointment
    knocking: bool


@dataclass(frozen=True)
class WaitingList:
    # Each consult carries `can_manage`, and each of its `active_participants` its state for the template.
    appointments: list[Appointment]
    now: datetime
    waiting: list[WaitingClient]

    @property
    def waiting_ids(self) -> list[int]:
        return [client.participant_id for client in self.waiting]


def waiting_list(
    *, user: User, team_id: int | None = None, agent_id: int | None = None, now: datetime | None = None
) -> WaitingList:
    """Today's consults the user sees (optionally of one team or agent), each client's state marked: 3 queries."""
    now = now or timezone.now()
    appointments = waiting_room(user=user, day=timezone.localdate(now), team_id=team_id, agent_id=agent_id)
    waiting = []
    for appointment in appointments:
        appointment.can_manage = can_manage(user=user, appointment=appointment)
        leads = appointment.agent_id == user.pk
        for participant in mark_states(appointment, appointment.active_participants, now=now, leads=leads):
            waiting.append(
                WaitingClient(
                    participant_id=participant.pk,
                    name=participant.name,
                    consult=appointment,
                    knocking=participant.knocking,
                )
            )
    return WaitingList(appointments=appointments, now=now, waiting=waiting)


def mark_states(appointment: Appointment, participants: list, *, now: datetime, leads: bool) -> list:
    """Mark each of the consult's active participants (loaded with their presence) with its state: removed,
    in_room, waiting (since), knocking, and for the agent who leads it the call's peer id. Returns those waiting."""
    waiting = []
    for participant in participants:
        presence = getattr(participant, "presence", None)
        participant.removed = bool(appointment.is_active and presence and presence.removed_at)
        # Sent into the room: no longer waiting, even while the old page still checks in.
        participant.in_room = bool(appointment.is_active and presence and presence.admitted_at)
        participant.waiting = not participant.in_room and not participant.removed and is_waiting(presence, now)
        participant.waiting_since = presence.arrived_at if presence and participant.waiting else None
        # Waiting while the consult runs is knocking: its agent lets them in from here or the call.
        participant.knocking = participant.waiting and appointment.is_active
        participant.peer = peer_id(participant) if participant.knocking and leads else ""
        if participant.waiting:
            waiting.append(participant)
    return waiting


def waiting_list_context(request: HttpRequest) -> dict:
    """The template context of the list, filtered by the page's team and agent choice."""
    user = request.user
    # The pages that show the list are for signed-in staff only.
    assert isinstance(user, User)
    filters = OverviewFilter(request.GET, user=user)
    found = waiting_list(user=user, team_id=filters.value("team"), agent_id=filters.value("agent"))
    return {
        "filters": filters,
        "appointments": found.appointments,
        "now": found.now,
        "waiting": found.waiting,
        "waiting_ids": found.waiting_ids,
    }


@dataclass(frozen=True)
class ParticipantState:
    name: str
    # absent, waiting, knocking (waiting while the consult runs), in_call, removed (taken out of the call)
    state: str
    waiting_since: datetime | None


@dataclass(frozen=True)
class ConsultStates:
    appointment: Appointment
    participants: list[ParticipantState]


def _state(participant: Any) -> str:
    for name, marked in (("removed", participant.removed), ("in_call", participant.in_room)):
        if marked:
            return name
    if participant.knocking:
        return "knocking"
    return "waiting" if participant.waiting else "absent"


def consult_states(*, user: User, public_id: uuid.UUID | str, now: datetime | None = None) -> ConsultStates:
    """One consult the user sees (on any day) with its participants' states, as the waiting room marks them;
    404 otherwise."""
    appointment = get_visible_appointment(user=user, public_id=public_id)
    participants: list[Any] = list(
        Participant.objects.active().select_related("presence").filter(appointment=appointment)
    )
    mark_states(appointment, participants, now=now or timezone.now(), leads=False)
    return ConsultStates(
        appointment=appointment,
        participants=[ParticipantState(p.name, _state(p), p.waiting_since) for p in participants],
    )
