"""The only writers of a single consult: booking, changing and cancelling one consult.

Several sessions of a recurring series are written by scheduling.series, and the choice between the two
(one consult, or this one and the following sessions) is scheduling.scopes'. The rules a booking must
satisfy are in scheduling.rules; what follows a change (messages, rooms, audit, live events) is in
scheduling.effects.
"""

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Team, User
from config.text import one_line

from . import effects
from .models import Appointment, Participant, Series, Status
from .participants import new_participant, replace_participants
from .rules import ParticipantInput, StaleAppointmentError, validate_booking, validate_change
from .selectors import can_manage
from .values import ConsultChange, ConsultDetails

__all__ = ["ParticipantInput", "StaleAppointmentError", "book_appointment", "cancel_appointment", "update_appointment"]


@transaction.atomic
def book_appointment(
    *,
    booked_by: User,
    team: Team,
    agent: User,
    start: datetime,
    end: datetime,
    subject: str,
    message: str,
    participants: Sequence[ParticipantInput],
    allow_conflicts: bool = False,
) -> Appointment:
    """Book a consult for an agent of one of the booker's teams, with its participants."""
    cleaned = validate_booking(
        user=booked_by,
        team=team,
        agent=agent,
        start=start,
        end=end,
        participants=participants,
        allow_conflicts=allow_conflicts,
    )
    appointment = Appointment.objects.create(
        organisation_id=team.organisation_id,
        team=team,
        agent=agent,
        booked_by=booked_by,
        start=start,
        end=end,
        subject=one_line(subject),
        message=message.strip(),
        uses_default_message=team.organisation.is_default_message(message),
    )
    created = Participant.objects.bulk_create([new_participant(appointment, row, i) for i, row in enumerate(cleaned)])
    effects.consult_booked(actor=booked_by, appointment=appointment, participants=created)
    return appointment


@transaction.atomic
def update_appointment(
    *,
    appointment: Appointment,
    changed_by: User,
    expected_sequence: int,
    team: Team,
    agent: User,
    start: datetime,
    end: datetime,
    subject: str,
    message: str,
    participants: Sequence[ParticipantInput],
    allow_conflicts: bool = False,
) -> Appointment:
    """Change a consult's time, agent, team, text or participants; its sequence rises by one.

    `expected_sequence` is the sequence the editor saw: if someone saved in between, nothing is written
    and StaleAppointmentError says so.
    """
    cleaned = validate_change(
        appointment=appointment,
        changed_by=changed_by,
        team=team,
        agent=agent,
        start=start,
        end=end,
        participants=participants,
        allow_conflicts=allow_conflicts,
    )
    before = ConsultDetails.of(appointment)
    previous_agent = appointment.agent
    # The conditional UPDATE is the lock: of two editors who saw the same sequence, one writes.
    written = Appointment.objects.filter(pk=appointment.pk, sequence=expected_sequence, status=Status.SCHEDULED).update(
        team=team,
        agent=agent,
        start=start,
        end=end,
        subject=one_line(subject),
        message=message.strip(),
        uses_default_message=appointment.organisation.is_default_message(message),
        sequence=F("sequence") + 1,
        updated_at=timezone.now(),
    )
    if not written:
        raise StaleAppointmentError()
    bump_series(appointment)
    participant_change = replace_participants(appointment=appointment, rows=cleaned)
    appointment.refresh_from_db()
    change = ConsultChange(
        appointment=appointment, before=before, after=ConsultDetails.of(appointment), participants=participant_change
    )
    if change.is_news:
        effects.consult_changed(actor=changed_by, change=change, previous_agent=previous_agent)
    return appointment


def bump_series(appointment: Appointment) -> None:
    """A change to a session is a revision of its series: calendars order the series' messages (the
    whole series and each session) by the series' SEQUENCE, so it rises with every change of a session."""
    if appointment.series_id is not None:
        Series.objects.filter(pk=appointment.series_id).update(sequence=F("sequence") + 1)


@transaction.atomic
def cancel_appointment(*, appointment: Appointment, cancelled_by: User) -> Appointment:
    """Mark a consult cancelled (never deleted); its join links stop working at once."""
    if not can_manage(user=cancelled_by, appointment=appointment):
        raise PermissionDenied(_("You may not cancel this consult."))
    mark_cancelled(appointment=appointment, cancelled_by=cancelled_by)
    effects.consult_cancelled(actor=cancelled_by, appointment=appointment)
    return appointment


def mark_cancelled(
    *, appointment: Appointment, cancelled_by: User | None = None, by_participant: Participant | None = None
) -> None:
    """Write the cancellation by a staff member or by a client through their link, once: of two who cancel at
    the same moment, one does. The caller runs the effects (scheduling.effects) in its transaction."""
    now = timezone.now()
    written = Appointment.objects.filter(pk=appointment.pk, status=Status.SCHEDULED).update(
        status=Status.CANCELLED,
        cancelled_at=now,
        cancelled_by=cancelled_by,
        cancelled_by_participant=by_participant,
        sequence=F("sequence") + 1,
        updated_at=now,
    )
    if not written:
        raise ValidationError(_("This consult was already cancelled."), code="already_cancelled")
    bump_series(appointment)
    appointment.refresh_from_db()
