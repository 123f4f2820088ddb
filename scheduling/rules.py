"""The rules from the domain that a booking or a change must satisfy, checked before anything is written.

Errors are ValidationErrors keyed by the field they concern (start, end, team, agent, participants), so a
form can show them next to that field. The writers (scheduling.services for one consult,
scheduling.series for several sessions) call these, so that a form, an admin action or a task cannot
bypass them.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Team, User
from accounts.selectors import bookable_teams, is_agent_of_team
from config.text import one_line
from notifications.optout import complained_addresses, opted_out_numbers
from videoproviders.selectors import people_limit, smallest_room

from .models import Appointment, Channel
from .phones import normalise_mobile
from .selectors import Conflict, agent_conflicts, can_manage, conflicts_for


@dataclass(frozen=True)
class ParticipantInput:
    name: str
    channel: str
    language: str
    email: str = ""
    phone: str = ""
    # The existing participant this row edits; None adds a participant.
    participant_id: int | None = None


class ConflictError(ValidationError):
    """The agent has other consults at that time; the caller may book anyway after confirming."""

    def __init__(self, conflicts: list[Conflict]) -> None:
        self.conflicts = conflicts
        super().__init__(_("The agent already has a consult at this time."), code="conflict")


class StaleAppointmentError(ValidationError):
    """Someone else changed the consult after this person opened it."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "Someone else changed this consult while you were editing it, so your changes were not saved. "
                "The latest version is shown below the form; your changes are still in the form. "
                "Save again to overwrite the other change."
            ),
            code="stale",
        )


def _validate_times(*, start: datetime, end: datetime, check_past: bool) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if end <= start:
        errors.setdefault("end", []).append(_("The end time must be after the start time."))
    elif end - start > timedelta(hours=settings.APPOINTMENT_MAX_DURATION_HOURS):
        errors.setdefault("end", []).append(
            _("A consult lasts at most %(hours)d hours.") % {"hours": settings.APPOINTMENT_MAX_DURATION_HOURS}
        )
    if check_past and start < timezone.now():
        errors.setdefault("start", []).append(_("The start time is in the past."))
    return errors


def _clean_participants(participants: Sequence[ParticipantInput]) -> tuple[list[ParticipantInput], list[str]]:
    """Check the participant rows and return them with phone numbers in E.164."""
    errors: list[str] = []
    if not participants:
        return [], [_("Add at least one participant.")]
    if len(participants) > settings.APPOINTMENT_MAX_PARTICIPANTS:
        errors.append(
            _("A consult has at most %(count)d participants.") % {"count": settings.APPOINTMENT_MAX_PARTICIPANTS}
        )
    cleaned = []
    for number, row in enumerate(participants, start=1):
        phone = row.phone
        if not row.name.strip():
            errors.append(_("Participant %(number)d has no name.") % {"number": number})
        if row.channel not in Channel.values:
            errors.append(_("Participant %(number)d has no valid channel.") % {"number": number})
        if row.channel == Channel.EMAIL and not row.email:
            errors.append(_("Participant %(number)d needs an email address.") % {"number": number})
        if row.channel == Channel.SMS:
            try:
                phone = normalise_mobile(row.phone)
            except ValidationError as error:
                errors.append(_("Participant %(number)d: %(error)s") % {"number": number, "error": error.messages[0]})
        cleaned.append(
            ParticipantInput(
                name=one_line(row.name),
                channel=row.channel,
                language=row.language,
                email=row.email.strip().lower(),
                phone=phone,
                participant_id=row.participant_id,
            )
        )
    return cleaned, errors


def _opt_out_errors(rows: list[ParticipantInput], *, organisation_id: int) -> list[str]:
    """Participants who asked this organisation for no more SMS (STOP) or email (marked it as spam): they cannot
    be invited that way."""
    phones = [row.phone for row in rows if row.channel == Channel.SMS and row.phone]
    stopped = opted_out_numbers(organisation_id=organisation_id, phones=phones)
    emails = [row.email for row in rows if row.channel == Channel.EMAIL and row.email]
    complained = complained_addresses(organisation_id=organisation_id, emails=emails)
    errors = []
    for number, row in enumerate(rows, start=1):
        if row.channel == Channel.SMS and row.phone in stopped:
            message = _(
                "Participant %(number)d replied STOP to our SMS and gets no SMS from us any more. "
                "Invite them by email or copy link."
            )
        elif row.channel == Channel.EMAIL and row.email in complained:
            message = _(
                "Participant %(number)d marked our email as spam and gets no email from us at this address any "
                "more. Use another address, SMS or copy link."
            )
        else:
            continue
        errors.append(message % {"number": number})
    return errors


def _room_size_errors(rows: list[ParticipantInput], *, agent: User) -> list[str]:
    # The built-in rooms connect every browser with every other one: more people than that do not fit. Most
    # consults are far below any room's size, and need no look at the agent's video account.
    if len(rows) + 1 <= smallest_room():
        return []
    limit = people_limit(agent=agent)
    if limit is None or len(rows) + 1 <= limit:
        return []
    return [
        _(
            "Built-in video rooms take at most %(people)d people: the agent and %(participants)d participants. "
            "Split the consult, or ask an admin for a video service that holds more (Whereby)."
        )
        % {"people": limit, "participants": limit - 1}
    ]


def schedule_errors(
    *, user: User, team: Team, agent: User, start: datetime, end: datetime, appointment: Appointment | None = None
) -> dict[str, list[str]]:
    """The rules on time, team and agent for a new consult or a change to `appointment`, without writing
    anything, so a form can show them together with its own errors."""
    if team.organisation_id != user.organisation_id or not bookable_teams(user=user).filter(pk=team.pk).exists():
        raise PermissionDenied(_("You may not book consults for this team."))
    # An ongoing consult may still get a later end; only a new start must lie ahead.
    check_past = appointment is None or start != appointment.start
    errors = _validate_times(start=start, end=end, check_past=check_past)
    if not is_agent_of_team(user=agent, team=team):
        errors.setdefault("agent", []).append(
            _("%(agent)s is not an agent of team %(team)s.") % {"agent": agent, "team": team}
        )
    return errors


def validate_booking(
    *,
    user: User,
    team: Team,
    agent: User,
    start: datetime,
    end: datetime,
    participants: Sequence[ParticipantInput],
    allow_conflicts: bool,
    appointment: Appointment | None = None,
) -> list[ParticipantInput]:
    errors = schedule_errors(user=user, team=team, agent=agent, start=start, end=end, appointment=appointment)
    cleaned, participant_errors = _clean_participants(participants)
    participant_errors += _opt_out_errors(cleaned, organisation_id=team.organisation_id)
    participant_errors += _room_size_errors(cleaned, agent=agent)
    if participant_errors:
        errors["participants"] = participant_errors
    if errors:
        raise ValidationError(errors)
    if not allow_conflicts:
        lock_agent_schedule(agent)
        exclude_pk = appointment.pk if appointment is not None else None
        conflicts = agent_conflicts(agent=agent, start=start, end=end, exclude_pk=exclude_pk)
        if conflicts:
            raise ConflictError(conflicts_for(user=user, appointments=conflicts))
    return cleaned


def lock_agent_schedule(agent: User) -> None:
    """Hold the agent's schedule until the transaction ends, so that looking for conflicts and writing the
    consult are one step: of two bookings for the same agent at the same time, the second waits here and
    then finds the first. (An exclusion constraint cannot say it: "Book anyway" allows overlaps.)

    A row lock on the agent (FOR NO KEY UPDATE, which leaves references to the row free) on PostgreSQL;
    SQLite has no row locks but takes the database's write lock when the transaction begins
    (transaction_mode IMMEDIATE), which serialises bookings already."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_agent_schedule() needs a transaction to hold the lock in.")
    list(User.objects.select_for_update(no_key=True).filter(pk=agent.pk).values_list("pk", flat=True))


def validate_change(
    *,
    appointment: Appointment,
    changed_by: User,
    team: Team,
    agent: User,
    start: datetime,
    end: datetime,
    participants: Sequence[ParticipantInput],
    allow_conflicts: bool,
) -> list[ParticipantInput]:
    """The checks of any change to a consult (one, or several sessions of a series); the cleaned rows."""
    if not can_manage(user=changed_by, appointment=appointment):
        raise PermissionDenied(_("You may not change this consult."))
    if appointment.is_cancelled:
        raise ValidationError(_("This consult has been cancelled and can no longer be changed."), code="cancelled")
    return validate_booking(
        user=changed_by,
        team=team,
        agent=agent,
        start=start,
        end=end,
        participants=participants,
        allow_conflicts=allow_conflicts,
        appointment=appointment,
    )
