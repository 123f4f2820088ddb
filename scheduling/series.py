"""The writers of several sessions of a recurring series at once: booking a series (every occurrence
becomes a consult of its own, created in bulk), and changing or cancelling a session together with the
series' other sessions ahead. One consult on its own is scheduling.services'.

The number of queries does not depend on the number of occurrences: conflicts are read in one query,
consults, participants, reminders and rooms are each written with one bulk insert.
"""

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import Team, User
from config.text import one_line
from notifications.models import ReminderRule
from notifications.planning import reminder_rules_for
from videoproviders.selectors import who_can_fix

from . import effects
from .closed_days import closed_day
from .models import Appointment, Participant, Series, Status
from .participants import new_participant, replace_participants
from .recurrence import Pattern, expand, localise, occurrence_errors, pattern_errors, skipped_periods
from .rules import (
    ConflictError,
    ParticipantInput,
    StaleAppointmentError,
    lock_agent_schedule,
    validate_booking,
    validate_change,
)
from .selectors import Conflict, can_manage, conflicts_for
from .services import bump_series
from .values import ConsultChange, ConsultDetails, Scope


def series_starts(*, pattern: Pattern, start: datetime, team: Team) -> list[datetime]:
    """The starts a pattern gives for a first consult, or ValidationError with what is wrong."""
    tz = team.organisation.tzinfo
    errors = pattern_errors(pattern, first_start=start, tz=tz)
    if errors:
        raise ValidationError(errors)
    starts = expand(pattern, first_start=start, tz=tz)
    problems = occurrence_errors(starts)
    if problems:
        raise ValidationError({"count": problems})
    return starts


def series_conflicts(
    *, agent: User, starts: list[datetime], duration: timedelta, exclude_series_id: int | None = None
) -> dict[datetime, list[Appointment]]:
    """The agent's consults that overlap each occurrence, read in one query (a series being moved does not
    conflict with itself)."""
    if not starts:
        return {}
    qs = Appointment.objects.scheduled().filter(agent=agent, start__lt=max(starts) + duration, end__gt=min(starts))
    if exclude_series_id is not None:
        qs = qs.exclude(series_id=exclude_series_id)
    taken = list(qs.order_by("start"))
    taken_starts = [a.start for a in taken]
    longest = timedelta(hours=settings.APPOINTMENT_MAX_DURATION_HOURS)
    found = {}
    for start in starts:
        # Only consults that start within the longest duration before this one can reach into it.
        first = bisect.bisect_right(taken_starts, start - longest)
        last = bisect.bisect_left(taken_starts, start + duration)
        overlapping = [a for a in taken[first:last] if a.end > start]
        if overlapping:
            found[start] = overlapping
    return found


@dataclass(frozen=True)
class PlannedOccurrence:
    start: datetime
    end: datetime
    conflicts: list[Conflict]
    # Why the practice is usually closed that day ("Saturday", "Koningsdag"), or "".
    closed: str = ""
    # Left out of the series (an EXDATE): shown, but not booked.
    left_out: bool = False
    first: bool = False


@dataclass(frozen=True)
class SeriesPreview:
    """What booking a series would create, shown to the assistant before anything is written."""

    occurrences: list[PlannedOccurrence]
    # Months (or years) the pattern passes over because the date does not exist in them (the 31st).
    skipped: list[date]

    @property
    def conflict_count(self) -> int:
        return sum(1 for occurrence in self.occurrences if occurrence.conflicts and not occurrence.left_out)

    @property
    def booked(self) -> list[PlannedOccurrence]:
        return [occurrence for occurrence in self.occurrences if not occurrence.left_out]

    @property
    def closed_count(self) -> int:
        return sum(1 for occurrence in self.occurrences if occurrence.closed)


def preview_series(
    *, user: User, team: Team, agent: User, start: datetime, end: datetime, pattern: Pattern
) -> SeriesPreview:
    """The sessions a pattern gives, with the agent's conflicts as `user` may see them; ValidationError for
    what forbids it."""
    tz = team.organisation.tzinfo
    starts = series_starts(pattern=pattern, start=start, team=team)
    require_reminder(agent=agent, team=team)
    every = expand(replace(pattern, skip=()), first_start=start, tz=tz)
    left_out = set(pattern.skip)
    duration = end - start
    conflicts = series_conflicts(agent=agent, starts=starts, duration=duration)
    return SeriesPreview(
        occurrences=[
            PlannedOccurrence(
                s,
                s + duration,
                conflicts_for(user=user, appointments=conflicts.get(s, [])),
                closed=closed_day(s.astimezone(tz).date()),
                left_out=s.astimezone(tz).date() in left_out,
                first=index == 0,
            )
            for index, s in enumerate(every)
        ],
        skipped=skipped_periods(pattern, starts=every, tz=tz),
    )


def require_reminder(*, agent: User, team: Team) -> list[ReminderRule]:
    # A reminder per occurrence is what keeps a long series from being forgotten (a rule from the domain).
    probe = Appointment(agent=agent, organisation_id=team.organisation_id)
    rules = reminder_rules_for(probe)
    if not rules:
        raise ValidationError(
            {
                "recurrence": [
                    _(
                        "A series needs at least one reminder for %(agent)s, and there is none. "
                        "%(who)s can add one in the admin under Reminder rules."
                    )
                    % {"agent": agent.full_name, "who": who_can_fix(organisation_id=team.organisation_id)}
                ]
            }
        )
    return rules


@transaction.atomic
def book_series(
    *,
    booked_by: User,
    team: Team,
    agent: User,
    start: datetime,
    end: datetime,
    subject: str,
    message: str,
    participants: Sequence[ParticipantInput],
    pattern: Pattern,
    allow_conflicts: bool = False,
) -> Series:
    """Book a consult that repeats: one confirmation per person for the whole series, reminders per
    occurrence at their own time, a room per occurrence shortly before it."""
    cleaned = validate_booking(
        user=booked_by,
        team=team,
        agent=agent,
        start=start,
        end=end,
        participants=participants,
        allow_conflicts=True,  # checked below over every occurrence at once
    )
    starts = series_starts(pattern=pattern, start=start, team=team)
    rules = require_reminder(agent=agent, team=team)
    duration = end - start
    if not allow_conflicts:
        lock_agent_schedule(agent)
        conflicts = series_conflicts(agent=agent, starts=starts, duration=duration)
        if conflicts:
            found = [a for hits in conflicts.values() for a in hits]
            raise ConflictError(conflicts_for(user=booked_by, appointments=found))
    organisation = team.organisation
    series = Series.objects.create(
        organisation=organisation,
        rrule=pattern.rrule(first_start=start, tz=organisation.tzinfo),
        exdate=pattern.exdate(first_start=start, tz=organisation.tzinfo),
        time_zone=organisation.time_zone,
        first_start=start,
    )
    uses_default_message = organisation.is_default_message(message)
    appointments = Appointment.objects.bulk_create(
        Appointment(
            organisation=organisation,
            team=team,
            agent=agent,
            booked_by=booked_by,
            start=occurrence,
            end=occurrence + duration,
            subject=one_line(subject),
            message=message.strip(),
            uses_default_message=uses_default_message,
            series=series,
            recurrence_id=occurrence,
        )
        for occurrence in starts
    )
    created = Participant.objects.bulk_create(
        new_participant(appointment, row, position)
        for appointment in appointments
        for position, row in enumerate(cleaned)
    )
    effects.series_booked(actor=booked_by, series=series, appointments=appointments, participants=created, rules=rules)
    return series


# --- changing a series ----------------------------------------------------------------------------------


def series_targets(*, appointment: Appointment, scope: str) -> list[Appointment]:
    """The sessions a change or cancellation applies to, in time order: this one, and with a wider scope
    the series' other sessions still ahead (scheduled, not started). Sessions already held stay as they were."""
    if scope == Scope.THIS or appointment.series_id is None:
        return [appointment]
    others = Appointment.objects.filter(
        series_id=appointment.series_id, status=Status.SCHEDULED, started_at__isnull=True, start__gt=timezone.now()
    ).exclude(pk=appointment.pk)
    if scope == Scope.FOLLOWING:
        others = others.filter(recurrence_id__gt=appointment.recurrence_id)
    return sorted([appointment, *others.select_related("agent", "organisation", "team")], key=lambda a: a.start)


def _wall_clock(moment: datetime, tz: tzinfo) -> datetime:
    return moment.astimezone(tz).replace(tzinfo=None)


def _moved_starts(
    targets: list[Appointment], *, anchor: Appointment, start: datetime, tz: tzinfo
) -> dict[int, datetime]:
    """Every target moved by the change made to the anchor, on the local clock: an hour later stays an hour
    later across a daylight-saving change, as the series itself does."""
    shift = _wall_clock(start, tz) - _wall_clock(anchor.start, tz)
    moved = {t.pk: localise(_wall_clock(t.start, tz) + shift, tz) for t in targets}
    moved[anchor.pk] = start
    return moved


def _rows_for(target: Appointment, rows: list[ParticipantInput], positions: dict[int, int]) -> list[ParticipantInput]:
    """The anchor's participant rows for another session: each kept participant is the one at the same
    position there (the same person), so their link for that session stays valid."""
    by_position = {p.position: p.pk for p in target.participants.active()}
    mapped = []
    for row in rows:
        position = positions.get(row.participant_id) if row.participant_id else None
        participant_id = by_position.get(position) if position is not None else None
        mapped.append(ParticipantInput(row.name, row.channel, row.language, row.email, row.phone, participant_id))
    return mapped


@transaction.atomic
def update_sessions(
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
    allow_conflicts: bool,
) -> list[Appointment]:
    """Change a session and the series' other sessions ahead (`scope` following or all). A new time moves
    each by the same amount on the local clock; agent, team, texts and participants become the same for
    all. Each person gets one message for the whole change. Returns the changed sessions."""
    cleaned = validate_change(
        appointment=appointment,
        changed_by=changed_by,
        team=team,
        agent=agent,
        start=start,
        end=end,
        participants=participants,
        allow_conflicts=True,  # checked below over every session at once
    )
    targets = series_targets(appointment=appointment, scope=scope)
    tz = appointment.organisation.tzinfo
    moved = _moved_starts(targets, anchor=appointment, start=start, tz=tz)
    now = timezone.now()
    past = [t for t in targets if t.pk != appointment.pk and moved[t.pk] < now and moved[t.pk] != t.start]
    if past:
        when = formats.date_format(timezone.localtime(past[0].start, tz), "j F Y")
        raise ValidationError({"start": [_("This would move the consult of %(date)s into the past.") % {"date": when}]})
    duration = end - start
    if not allow_conflicts:
        lock_agent_schedule(agent)
        found = series_conflicts(
            agent=agent, starts=list(moved.values()), duration=duration, exclude_series_id=appointment.series_id
        )
        if found:
            raise ConflictError(
                conflicts_for(user=changed_by, appointments=[a for hits in found.values() for a in hits])
            )
    # The conditional UPDATE is the lock, as for one consult: of two editors who saw the same sequence, one writes.
    if not Appointment.objects.filter(pk=appointment.pk, sequence=expected_sequence, status=Status.SCHEDULED).update(
        updated_at=now
    ):
        raise StaleAppointmentError()
    previous_agent = targets[0].agent
    before = {target.pk: ConsultDetails.of(target) for target in targets}
    uses_default_message = appointment.organisation.is_default_message(message)
    for target in targets:
        target.team, target.agent, target.start = team, agent, moved[target.pk]
        target.end, target.subject, target.message = moved[target.pk] + duration, one_line(subject), message.strip()
        target.uses_default_message = uses_default_message
    positions = {p.pk: p.position for p in appointment.participants.active()}
    changes = []
    for target in targets:
        rows = cleaned if target.pk == appointment.pk else _rows_for(target, cleaned, positions)
        participant_change = replace_participants(appointment=target, rows=rows, now=now)
        changes.append(
            ConsultChange(
                appointment=target,
                before=before[target.pk],
                after=ConsultDetails.of(target),
                participants=participant_change,
            )
        )
    if not any(change.is_news for change in changes):
        return []  # saved unchanged: not news
    for target in targets:
        target.sequence += 1
        target.updated_at = now
    fields = ["team", "agent", "start", "end", "subject", "message", "uses_default_message", "sequence", "updated_at"]
    Appointment.objects.bulk_update(targets, fields)
    bump_series(appointment)
    effects.sessions_changed(actor=changed_by, changes=changes, previous_agent=previous_agent)
    return targets


@transaction.atomic
def cancel_sessions(*, appointment: Appointment, cancelled_by: User, scope: str) -> list[Appointment]:
    """Cancel a session and the series' other sessions ahead, with one cancellation per person that lists
    them. Returns the cancelled sessions."""
    if not can_manage(user=cancelled_by, appointment=appointment):
        raise PermissionDenied(_("You may not cancel this consult."))
    if appointment.is_cancelled:
        raise ValidationError(_("This consult was already cancelled."), code="already_cancelled")
    targets = series_targets(appointment=appointment, scope=scope)
    now = timezone.now()
    # One time for the whole cancellation, so its message can tell which sessions it took off.
    Appointment.objects.filter(pk__in=[t.pk for t in targets], status=Status.SCHEDULED).update(
        status=Status.CANCELLED,
        cancelled_at=now,
        cancelled_by=cancelled_by,
        sequence=F("sequence") + 1,
        updated_at=now,
    )
    bump_series(appointment)
    cancelled = list(
        Appointment.objects.filter(pk__in=[t.pk for t in targets], cancelled_at=now)
        .select_related("agent", "organisation")
        .order_by("start")
    )
    if not cancelled:
        raise ValidationError(_("This consult was already cancelled."), code="already_cancelled")
    effects.sessions_cancelled(actor=cancelled_by, appointments=cancelled)
    return cancelled
