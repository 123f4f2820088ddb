"""Changing or cancelling a consult as the assistant asked: only this consult (scheduling.services), or
with it the following or all sessions of its series still ahead (scheduling.series)."""

from collections.abc import Sequence
from datetime import datetime
from typing import TypedDict

from accounts.models import Team, User

from . import series, services
from .models import Appointment
from .rules import ParticipantInput
from .values import Scope


class _Change(TypedDict):
    """What the assistant asked to change; one consult and several sessions take the same."""

    appointment: Appointment
    changed_by: User
    expected_sequence: int
    team: Team
    agent: User
    start: datetime
    end: datetime
    subject: str
    message: str
    participants: Sequence[ParticipantInput]
    allow_conflicts: bool


def _one(appointment: Appointment, scope: str) -> bool:
    return scope == Scope.THIS or appointment.series_id is None


def change_consult(
    *,
    appointment: Appointment,
    changed_by: User,
    expected_sequence: int,
    scope: str,
    team: Team,
    agent: User,
    start: datetime,
    end: datetime,
    subject: str,
    message: str,
    participants: Sequence[ParticipantInput],
    allow_conflicts: bool = False,
) -> list[Appointment]:
    """Change a consult, or it and the series' other sessions ahead; the consults changed."""
    kwargs: _Change = {
        "appointment": appointment,
        "changed_by": changed_by,
        "expected_sequence": expected_sequence,
        "team": team,
        "agent": agent,
        "start": start,
        "end": end,
        "subject": subject,
        "message": message,
        "participants": participants,
        "allow_conflicts": allow_conflicts,
    }
    if _one(appointment, scope):
        return [services.update_appointment(**kwargs)]
    return series.update_sessions(**kwargs, scope=scope)


def cancel_consult(*, appointment: Appointment, cancelled_by: User, scope: str) -> list[Appointment]:
    """Cancel a consult, or it and the series' other sessions ahead; the consults cancelled."""
    if _one(appointment, scope):
        return [services.cancel_appointment(appointment=appointment, cancelled_by=cancelled_by)]
    return series.cancel_sessions(appointment=appointment, cancelled_by=cancelled_by, scope=scope)
