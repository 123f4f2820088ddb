"""The printable day list: per agent, each consult with its clients' phone numbers and addresses, so the
agent can phone a client when the video fails (on paper too, when the computer is the thing that fails)."""

from dataclasses import dataclass, field
from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import User

from ..filters import OverviewFilter
from ..models import Appointment, Participant
from ..selectors import day_list as day_list_appointments
from .days import ShownDay


@dataclass(frozen=True)
class Line:
    """A consult as rows of the list: one per client, or one empty row when none is left (all removed)."""

    appointment: Appointment
    participants: list[Participant | None]

    @classmethod
    def of(cls, appointment: Appointment) -> "Line":
        return cls(appointment, list(appointment.active_participants) or [None])


@dataclass
class AgentDay:
    agent: User
    lines: list[Line] = field(default_factory=list)


@login_required
def day_list(request: HttpRequest) -> HttpResponse:
    filters = OverviewFilter(request.GET, user=request.user)
    shown = ShownDay.of(filters)
    appointments = day_list_appointments(
        user=request.user,
        start=shown.start,
        end=shown.end,
        team_id=filters.value("team"),
        agent_id=filters.value("agent"),
    )
    agents = [
        AgentDay(group[0].agent, [Line.of(appointment) for appointment in group])
        for group in (list(rows) for _agent, rows in groupby(appointments, key=lambda a: a.agent_id))
    ]
    context = {
        "filters": filters,
        **shown.navigation(),
        "agents": agents,
    }
    return render(request, "scheduling/day_list.html", context)
