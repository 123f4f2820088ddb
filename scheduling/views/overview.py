"""The dashboard (consults of today and the coming days) and the day agenda (a time grid per agent)."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.models import User
from notifications.selectors import failed_messages
from videoproviders.selectors import agent_video_problem

from ..filters import OverviewFilter
from ..models import Appointment
from ..selectors import appointments_between
from .days import ShownDay, local_midnight

# The agenda grid always shows at least office hours, and grows to fit earlier or later consults.
AGENDA_FIRST_HOUR = 8
AGENDA_LAST_HOUR = 18


@dataclass
class Day:
    date: date
    appointments: list[Appointment] = field(default_factory=list)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    filters = OverviewFilter(request.GET, user=request.user)
    today = timezone.localdate()
    days = [Day(today + timedelta(days=n)) for n in range(settings.DASHBOARD_DAYS_AHEAD + 1)]
    appointments = appointments_between(
        user=request.user,
        start=local_midnight(today),
        end=local_midnight(days[-1].date + timedelta(days=1)),
        team_id=filters.value("team"),
        agent_id=filters.value("agent"),
    )
    by_date = {day.date: day for day in days}
    for appointment in appointments:
        # A consult that began before midnight and is still running belongs to today.
        by_date.get(timezone.localtime(appointment.start).date(), days[0]).appointments.append(appointment)
    now = timezone.now()
    context = {
        "filters": filters,
        "days": days,
        "today": today,
        "now": now,
        "total": len(appointments),
        "today_count": len(days[0].appointments),
        "next_appointment": next((a for a in appointments if a.end > now), None),
        "can_book": request.user.roles.is_assistant,
        "failed_count": failed_messages(user=request.user).count() if request.user.roles.is_assistant else 0,
        "video_problem": agent_video_problem(user=request.user),
    }
    return render(request, "scheduling/dashboard.html", context)


@dataclass
class AgendaColumn:
    agent: User
    blocks: list[dict] = field(default_factory=list)


@login_required
def agenda(request: HttpRequest) -> HttpResponse:
    filters = OverviewFilter(request.GET, user=request.user)
    shown = ShownDay.of(filters)
    day, day_start, day_end = shown.date, shown.start, shown.end
    appointments = appointments_between(
        user=request.user,
        start=day_start,
        end=day_end,
        team_id=filters.value("team"),
        agent_id=filters.value("agent"),
    )
    first_hour, last_hour = AGENDA_FIRST_HOUR, AGENDA_LAST_HOUR
    for appointment in appointments:
        start = max(timezone.localtime(appointment.start), day_start)
        end = min(timezone.localtime(appointment.end), day_end)
        first_hour = min(first_hour, start.hour)
        last_hour = max(last_hour, 24 if end == day_end else end.hour + (1 if end.minute else 0))
    grid_start = day_start + timedelta(hours=first_hour)
    columns: dict[int, AgendaColumn] = {}
    for appointment in appointments:
        start = max(appointment.start, day_start)
        end = min(appointment.end, day_end)
        column = columns.setdefault(appointment.agent_id, AgendaColumn(appointment.agent))
        column.blocks.append(
            {
                "appointment": appointment,
                "top": int((start - grid_start).total_seconds() // 60),
                "height": max(int((end - start).total_seconds() // 60), 15),
                "start_style": f"--top: {int((start - grid_start).total_seconds() // 60)}",
            }
        )
    context = {
        "filters": filters,
        **shown.navigation(),
        "hours": [(day_start + timedelta(hours=h)) for h in range(first_hour, last_hour)],
        "grid_minutes": (last_hour - first_hour) * 60,
        "columns": sorted(columns.values(), key=lambda c: c.agent.full_name),
        "now_offset": _now_offset(day, grid_start, last_hour - first_hour),
        "can_book": request.user.roles.is_assistant,
        "video_problem": agent_video_problem(user=request.user),
    }
    return render(request, "scheduling/agenda.html", context)


def _now_offset(day: date, grid_start: datetime, hours: int) -> int | None:
    """Minutes from the top of the grid to the current time, when the grid shows today."""
    if day != timezone.localdate():
        return None
    offset = int((timezone.now() - grid_start).total_seconds() // 60)
    return offset if 0 <= offset <= hours * 60 else None
