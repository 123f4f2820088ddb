"""The only writers of appointments and participants.

Every rule from the domain that a booking must satisfy is checked here, so that a form, an admin action or
a task that calls these functions cannot bypass it. Errors are ValidationErrors keyed by the field they
concern (start, end, team, agent, participants), so a form can show them next to that field.
"""

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Team, User
from accounts.selectors import bookable_teams, is_agent_of_team
from audit.services import Action, record_consults
from notifications.optout import opted_out_numbers
from notifications.services import announce_booking, announce_cancellation, announce_update
from videoproviders.selectors import people_limit, smallest_room
from videoproviders.services import plan_room, replan_room, retire_rooms
from waitingroom.events import announce, publish, team_channel

from .models import Appointment, Channel, Participant, Series, Status
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


def one_line(text: str) -> str:
    """Names, subjects and short messages are one line: line breaks and tabs become spaces and other control
    characters (NUL, which PostgreSQL refuses, among them) go, so a name can never start a new line in an
    email, a calendar invite or an SMS."""
    printable = "".join(char if unicodedata.category(char) != "Cc" else " " for char in text)
    return " ".join(printable.split())


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
    """SMS participants whose number replied STOP to this organisation: they cannot be invited by SMS."""
    phones = [row.phone for row in rows if row.channel == Channel.SMS and row.phone]
    stopped = opted_out_numbers(organisation_id=organisation_id, phones=phones)
    return [
        _(
            "Participant %(number)d replied STOP to our SMS and gets no SMS from us any more. "
            "Invite them by email or copy link."
        )
        % {"number": number}
        for number, row in enumerate(rows, start=1)
        if row.channel == Channel.SMS and row.phone in stopped
    ]


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
        raise PermissionDenied("This user may not book for this team.")
    # An ongoing consult may still get a later end; only a new start must lie ahead.
    check_past = appointment is None or start != appointment.start
    errors = _validate_times(start=start, end=end, check_past=check_past)
    if not is_agent_of_team(user=agent, team=team):
        errors.setdefault("agent", []).append(
            _("%(agent)s is not an agent of team %(team)s.") % {"agent": agent, "team": team}
        )
    return errors


def _validate_booking(
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


def _participant(appointment: Appointment, row: ParticipantInput, position: int) -> Participant:
    return Participant(
        appointment=appointment,
        name=row.name,
        channel=row.channel,
        language=row.language,
        email=row.email,
        phone=row.phone if row.channel == Channel.SMS else "",
        position=position,
    )


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
    cleaned = _validate_booking(
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
    )
    participants = Participant.objects.bulk_create([_participant(appointment, row, i) for i, row in enumerate(cleaned)])
    announce_booking(appointment=appointment, participants=participants)
    plan_room(appointment=appointment)
    record_consults(action=Action.CONSULT_BOOKED, actor=booked_by, appointments=[appointment])
    announce(appointment, "changed")
    return appointment


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
        raise PermissionDenied("This user may not change this consult.")
    if appointment.is_cancelled:
        raise ValidationError(_("This consult has been cancelled and can no longer be changed."), code="cancelled")
    return _validate_booking(
        user=changed_by,
        team=team,
        agent=agent,
        start=start,
        end=end,
        participants=participants,
        allow_conflicts=allow_conflicts,
        appointment=appointment,
    )


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
    before = (appointment.team_id, appointment.agent_id, appointment.start, appointment.end)
    before += (appointment.subject, appointment.message)
    previous_agent = appointment.agent
    # The conditional UPDATE is the lock: of two editors who saw the same sequence, one writes.
    written = Appointment.objects.filter(pk=appointment.pk, sequence=expected_sequence, status=Status.SCHEDULED).update(
        team=team,
        agent=agent,
        start=start,
        end=end,
        subject=one_line(subject),
        message=message.strip(),
        sequence=F("sequence") + 1,
        updated_at=timezone.now(),
    )
    if not written:
        raise StaleAppointmentError()
    bump_series(appointment)
    kept, added, removed, participants_changed = _replace_participants(appointment=appointment, rows=cleaned)
    appointment.refresh_from_db()
    after = (appointment.team_id, appointment.agent_id, appointment.start, appointment.end)
    after += (appointment.subject, appointment.message)
    # Saving the form unchanged is not news; anything else reaches agent and participants.
    if after != before or participants_changed:
        announce_update(appointment=appointment, previous_agent=previous_agent, kept=kept, added=added, removed=removed)
        record_consults(
            action=Action.CONSULT_REASSIGNED if after[1] != before[1] else Action.CONSULT_CHANGED,
            actor=changed_by,
            appointments=[appointment],
            changes=changed_keys(before, after, participants_changed),
        )
    # A room made for another time or agent may not fit (its end date, the agent's account): make a new one.
    if after[1:4] != before[1:4]:
        replan_room(appointment=appointment)
    if after != before or participants_changed:
        announce(appointment, "changed")
        if after[0] != before[0]:
            publish(team_channel(before[0]), "changed")  # gone from the old team's waiting room
    return appointment


_CHANGE_KEYS = ("team", "agent", "time", "time", "subject", "message")


def changed_keys(before: tuple, after: tuple, participants_changed: bool) -> list[str]:
    """What a change touched, for the audit log: (team, agent, start, end, subject, message) compared."""
    keys = [key for key, old, new in zip(_CHANGE_KEYS, before, after, strict=True) if old != new]
    if participants_changed:
        keys.append("participants")
    return list(dict.fromkeys(keys))


def bump_series(appointment: Appointment) -> None:
    """A change to a session is a revision of its series: calendars order the series' messages (the
    whole series and each session) by the series' SEQUENCE, so it rises with every change of a session."""
    if appointment.series_id is not None:
        Series.objects.filter(pk=appointment.series_id).update(sequence=F("sequence") + 1)


_PARTICIPANT_FIELDS = ["name", "channel", "language", "email", "phone", "position"]


def _replace_participants(
    *, appointment: Appointment, rows: list[ParticipantInput], now: datetime | None = None
) -> tuple[list[Participant], list[Participant], list[Participant], bool]:
    """Update kept participants in place (their links stay valid), add new ones, retire the rest.

    Returns the kept, added and removed participants, and whether anything about them changed.
    """
    existing = {p.pk: p for p in appointment.participants.active()}
    to_update, to_create = [], []
    changed = False
    for position, row in enumerate(rows):
        current = existing.pop(row.participant_id, None) if row.participant_id else None
        if current is None:
            to_create.append(_participant(appointment, row, position))
            continue
        old = [getattr(current, name) for name in _PARTICIPANT_FIELDS]
        current.name, current.channel, current.language = row.name, row.channel, row.language
        current.email = row.email
        current.phone = row.phone if row.channel == Channel.SMS else ""
        current.position = position
        changed = changed or old != [getattr(current, name) for name in _PARTICIPANT_FIELDS]
        to_update.append(current)
    if to_update and changed:
        Participant.objects.bulk_update(to_update, _PARTICIPANT_FIELDS)
    added = Participant.objects.bulk_create(to_create) if to_create else []
    removed = list(existing.values())
    if removed:
        # One time for one change, so a message can tell which sessions a person was taken off.
        removed_at = now or timezone.now()
        for participant in removed:
            participant.removed_at = removed_at
        Participant.objects.filter(pk__in=existing).update(removed_at=removed_at)
    return to_update, added, removed, changed or bool(added) or bool(removed)


@transaction.atomic
def cancel_appointment(*, appointment: Appointment, cancelled_by: User) -> Appointment:
    """Mark a consult cancelled (never deleted); its join links stop working at once."""
    if not can_manage(user=cancelled_by, appointment=appointment):
        raise PermissionDenied("This user may not cancel this consult.")
    now = timezone.now()
    written = Appointment.objects.filter(pk=appointment.pk, status=Status.SCHEDULED).update(
        status=Status.CANCELLED,
        cancelled_at=now,
        cancelled_by=cancelled_by,
        sequence=F("sequence") + 1,
        updated_at=now,
    )
    if not written:
        raise ValidationError(_("This consult was already cancelled."), code="already_cancelled")
    bump_series(appointment)
    appointment.refresh_from_db()
    announce_cancellation(appointment=appointment)
    retire_rooms(appointment=appointment)
    record_consults(action=Action.CONSULT_CANCELLED, actor=cancelled_by, appointments=[appointment])
    announce(appointment, "cancelled")
    return appointment
