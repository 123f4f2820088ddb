"""Booking a recurring series: every occurrence becomes a consult of its own, created in bulk.

The number of queries does not depend on the number of occurrences: conflicts are read in one query,
consults, participants, reminders and rooms are each written with one bulk insert.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Team, User
from notifications.services import announce_series, reminder_rules_for
from videoproviders.selectors import who_can_fix
from videoproviders.services import plan_rooms
from waitingroom.events import publish, team_channel

from .models import Appointment, Participant, Series
from .recurrence import Pattern, expand, occurrence_errors, pattern_errors, skipped_periods
from .services import ConflictError, ParticipantInput, _participant, _validate_booking


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
    found = {}
    for start in starts:
        overlapping = [a for a in taken if a.start < start + duration and a.end > start]
        if overlapping:
            found[start] = overlapping
    return found


@dataclass(frozen=True)
class PlannedOccurrence:
    start: datetime
    end: datetime
    conflicts: list[Appointment]


@dataclass(frozen=True)
class SeriesPreview:
    """What booking a series would create, shown to the assistant before anything is written."""

    occurrences: list[PlannedOccurrence]
    # Months (or years) the pattern passes over because the date does not exist in them (the 31st).
    skipped: list[date]

    @property
    def conflict_count(self) -> int:
        return sum(1 for occurrence in self.occurrences if occurrence.conflicts)


def preview_series(*, team: Team, agent: User, start: datetime, end: datetime, pattern: Pattern) -> SeriesPreview:
    """The sessions a pattern gives, with the agent's conflicts; ValidationError for what forbids it."""
    starts = series_starts(pattern=pattern, start=start, team=team)
    require_reminder(agent=agent, team=team)
    duration = end - start
    conflicts = series_conflicts(agent=agent, starts=starts, duration=duration)
    return SeriesPreview(
        occurrences=[PlannedOccurrence(s, s + duration, conflicts.get(s, [])) for s in starts],
        skipped=skipped_periods(pattern, starts=starts, tz=team.organisation.tzinfo),
    )


def require_reminder(*, agent: User, team: Team) -> None:
    # A reminder per occurrence is what keeps a long series from being forgotten (a rule from the domain).
    probe = Appointment(agent=agent, organisation_id=team.organisation_id)
    if not reminder_rules_for(probe):
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
    cleaned = _validate_booking(
        user=booked_by,
        team=team,
        agent=agent,
        start=start,
        end=end,
        participants=participants,
        allow_conflicts=True,  # checked below over every occurrence at once
    )
    starts = series_starts(pattern=pattern, start=start, team=team)
    require_reminder(agent=agent, team=team)
    duration = end - start
    if not allow_conflicts:
        conflicts = series_conflicts(agent=agent, starts=starts, duration=duration)
        if conflicts:
            raise ConflictError(sorted({a for found in conflicts.values() for a in found}, key=lambda a: a.start))
    organisation = team.organisation
    series = Series.objects.create(
        organisation=organisation,
        rrule=pattern.rrule(first_start=start, tz=organisation.tzinfo),
        time_zone=organisation.time_zone,
        first_start=start,
    )
    appointments = Appointment.objects.bulk_create(
        Appointment(
            organisation=organisation,
            team=team,
            agent=agent,
            booked_by=booked_by,
            start=occurrence,
            end=occurrence + duration,
            subject=subject.strip(),
            message=message.strip(),
            series=series,
            recurrence_id=occurrence,
        )
        for occurrence in starts
    )
    created = Participant.objects.bulk_create(
        _participant(appointment, row, position) for appointment in appointments for position, row in enumerate(cleaned)
    )
    announce_series(series=series, appointments=appointments, participants=created)
    plan_rooms(appointments=appointments)
    publish(team_channel(team.pk), "changed")
    return series
