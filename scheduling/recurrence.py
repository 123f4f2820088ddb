"""Recurring series: the pattern as an RFC 5545 RRULE, expanded in the organisation's local time.

Occurrences are expanded on local wall-clock times and only then given their UTC offset, so a weekly
consult at 09:00 stays at 09:00 across daylight-saving changes. A local time that does not exist (the
hour skipped in spring) takes the offset from before the gap, and one that exists twice (autumn) the
first, as RFC 5545 prescribes. A monthly series on the 31st skips months without one (RFC 5545).
"""

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal

from dateutil import rrule
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .closed_days import closed_day

MIN_OCCURRENCES = 2
MAX_OCCURRENCES = 200
MAX_AHEAD = timedelta(days=2 * 365)
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class Frequency(models.TextChoices):
    DAILY = "DAILY", gettext_lazy("Daily")
    WEEKLY = "WEEKLY", gettext_lazy("Weekly")
    MONTHLY = "MONTHLY", gettext_lazy("Monthly")
    YEARLY = "YEARLY", gettext_lazy("Yearly")


# dateutil's frequency constants, YEARLY (0) to DAILY (3).
_DATEUTIL: dict[str, Literal[0, 1, 2, 3]] = {
    Frequency.DAILY: rrule.DAILY,
    Frequency.WEEKLY: rrule.WEEKLY,
    Frequency.MONTHLY: rrule.MONTHLY,
    Frequency.YEARLY: rrule.YEARLY,
}


@dataclass(frozen=True)
class Pattern:
    """How a series repeats: every `interval` days/weeks/months/years, on `weekdays` (0 = Monday) for a
    weekly series, until a date (inclusive) or for a number of sessions; `skip` are the local dates of
    sessions left out (EXDATE), never the first."""

    frequency: str
    interval: int = 1
    weekdays: tuple[int, ...] = field(default=())
    count: int | None = None
    until: date | None = None
    skip: tuple[date, ...] = field(default=())

    def rrule(self, *, first_start: datetime, tz: tzinfo) -> str:
        """The RFC 5545 RRULE value; UNTIL in UTC, as RFC 5545 requires with a DTSTART that has a TZID."""
        parts = [f"FREQ={self.frequency}", f"INTERVAL={self.interval}"]
        if self.frequency == Frequency.WEEKLY and self.weekdays:
            parts.append("BYDAY=" + ",".join(WEEKDAY_CODES[day] for day in sorted(self.weekdays)))
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        elif self.until is not None:
            parts.append("UNTIL=" + _until_local(self.until, tz).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"))
        return ";".join(parts)

    def exdate(self, *, first_start: datetime, tz: tzinfo) -> str:
        """The RFC 5545 EXDATE value of the left-out sessions, in local time (to go with TZID), or ""."""
        at = first_start.astimezone(tz).time()
        return ",".join(datetime.combine(day, at).strftime("%Y%m%dT%H%M%S") for day in self.skip)


def _until_local(until: date, tz: tzinfo) -> datetime:
    # The last day counts whole: a series "until 5 March" includes a consult on 5 March.
    return datetime.combine(until, time(23, 59, 59)).replace(tzinfo=tz)


def localise(naive: datetime, tz: tzinfo) -> datetime:
    """A local wall-clock time as an aware datetime (fold 0: the first of two, the offset before a gap)."""
    return naive.replace(tzinfo=tz, fold=0)


def pattern_errors(pattern: Pattern, *, first_start: datetime, tz: tzinfo) -> dict[str, list[str]]:
    """What is wrong with a pattern on its own, keyed by the field to show it at."""
    errors: dict[str, list[str]] = {}
    first_local = first_start.astimezone(tz)
    if pattern.frequency not in Frequency.values:
        errors.setdefault("frequency", []).append(_("Choose how often the consult repeats."))
    if pattern.interval < 1:
        errors.setdefault("interval", []).append(_("Repeat at least every 1."))
    if (pattern.count is None) == (pattern.until is None):
        errors.setdefault("count", []).append(_("Give either an end date or a number of sessions."))
    if pattern.count is not None and pattern.count < MIN_OCCURRENCES:
        errors.setdefault("count", []).append(
            _("A series has at least %(count)d sessions.") % {"count": MIN_OCCURRENCES}
        )
    if pattern.count is not None and pattern.count > MAX_OCCURRENCES:
        errors.setdefault("count", []).append(
            _("A series has at most %(count)d sessions.") % {"count": MAX_OCCURRENCES}
        )
    if pattern.until is not None and pattern.until <= first_local.date():
        errors.setdefault("until", []).append(_("The end date must be after the first consult."))
    if pattern.frequency == Frequency.WEEKLY:
        if any(day not in range(7) for day in pattern.weekdays):
            errors.setdefault("weekdays", []).append(_("Choose weekdays from Monday to Sunday."))
        elif pattern.weekdays and first_local.weekday() not in pattern.weekdays:
            errors.setdefault("weekdays", []).append(
                _("The first consult is on a %(day)s: include that day, or change the date.")
                % {"day": _weekday_name(first_local.weekday())}
            )
    return errors


def _weekday_name(day: int) -> str:
    return str([_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")][day])


def expand(pattern: Pattern, *, first_start: datetime, tz: tzinfo) -> list[datetime]:
    """The starts of every session, first included, as aware datetimes; at most MAX_OCCURRENCES + 1, so a
    caller can tell a series that is too long. The pattern must be free of pattern_errors."""
    local = first_start.astimezone(tz).replace(tzinfo=None)
    weekdays = None
    if pattern.frequency == Frequency.WEEKLY:
        weekdays = [rrule.weekdays[day] for day in (pattern.weekdays or (local.weekday(),))]
    until = None
    if pattern.until is not None:
        until = _until_local(pattern.until, tz).replace(tzinfo=None)
    rule = rrule.rrule(
        _DATEUTIL[pattern.frequency],
        dtstart=local,
        interval=pattern.interval,
        byweekday=weekdays,
        count=pattern.count,
        until=until,
        cache=False,
    )
    starts = []
    skip = set(pattern.skip)
    for naive in rule:
        if naive.date() in skip:
            continue
        starts.append(localise(naive, tz))
        if len(starts) > MAX_OCCURRENCES:
            break
    return starts


def occurrence_errors(starts: list[datetime], *, now: datetime | None = None) -> list[str]:
    """The limits on what a pattern expands to: 2 to 200 sessions, none more than two years ahead."""
    now = now or timezone.now()
    errors = []
    if len(starts) < MIN_OCCURRENCES:
        errors.append(_("This pattern gives only one consult; a series has at least two."))
    if len(starts) > MAX_OCCURRENCES:
        errors.append(_("This pattern gives more than %(count)d consults.") % {"count": MAX_OCCURRENCES})
    elif starts and starts[-1] > now + MAX_AHEAD:
        errors.append(_("A series reaches at most two years ahead; choose an earlier end or fewer sessions."))
    return errors


def skipped_periods(pattern: Pattern, *, starts: list[datetime], tz: tzinfo) -> list[date]:
    """The months (monthly) or years (yearly) between the first and last session that the pattern passes
    over because the day does not exist there, such as 30 April for a series on the 31st (RFC 5545 skips
    them rather than moving to the last day). Each is given as the first day of that month."""
    if pattern.frequency not in (Frequency.MONTHLY, Frequency.YEARLY) or len(starts) < 2:
        return []
    step = pattern.interval * (12 if pattern.frequency == Frequency.YEARLY else 1)
    local = [start.astimezone(tz) for start in starts]
    present = {(moment.year, moment.month) for moment in local}
    first, last = local[0], local[-1]
    skipped = []
    index = first.year * 12 + first.month - 1 + step
    while index < last.year * 12 + last.month - 1:
        year, month = divmod(index, 12)
        if (year, month + 1) not in present:
            skipped.append(date(year, month + 1, 1))
        index += step
    return skipped


def resolve_skips(pattern: Pattern, *, first_start: datetime, tz: tzinfo, skip_closed: bool) -> Pattern:
    """The pattern with the dates to leave out that it really has: those asked for (a date the pattern no
    longer gives is dropped) and, with `skip_closed`, every weekend day and public holiday; never the first
    consult, whose date was chosen on purpose."""
    every = [start.astimezone(tz).date() for start in expand(replace(pattern, skip=()), first_start=first_start, tz=tz)]
    wanted = set(pattern.skip)
    if skip_closed:
        wanted |= {day for day in every if closed_day(day)}
    return replace(pattern, skip=tuple(day for day in every[1:] if day in wanted))
