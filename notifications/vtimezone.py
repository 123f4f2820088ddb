"""The VTIMEZONE of a series invite, built from the zone data (zoneinfo).

Strict readers build a zone only from yearly rules: Outlook takes one STANDARD and one DAYLIGHT with an
RRULE, and vobject read icalendar's list of RDATEs as one offset all year, putting summer sessions an hour
off. So the zone's current rule is derived from its real transitions in the years the series spans (month,
n-th or last weekday, wall-clock time, offsets before and after) and written as two yearly RRULEs, but only
after checking that those RRULEs give exactly the real transitions of every one of those years.
"""

from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard, vRecur

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# The onset of the first observance. Readers need one before the first session; RFC 5545 lets it lie far
# back, and 1970 is where other generators (Thunderbird, Outlook exports) start their rules too.
FIRST_YEAR = 1970
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Transition:
    """One change of the zone's UTC offset."""

    at: datetime  # in UTC
    offset_from: timedelta
    offset_to: timedelta
    name: str  # the abbreviation from then on, such as CEST

    @property
    def local(self) -> datetime:
        # RFC 5545 onsets are wall-clock times as the clock showed them before the change: for Amsterdam
        # 02:00 in March and 03:00 in October.
        return (self.at + self.offset_from).replace(tzinfo=None)


@dataclass(frozen=True)
class YearlyRule:
    """A change that comes every year on the n-th weekday of a month, or with nth = -1 the last."""

    month: int
    weekday: int  # 0 = Monday
    nth: int
    clock: time
    offset_from: timedelta
    offset_to: timedelta
    name: str

    @classmethod
    def of(cls, transition: Transition) -> "YearlyRule":
        local = transition.local
        # A day with no week of the month after it is the last such weekday: "last Sunday" is how the EU
        # words its rule, and it falls on the 25th to the 31st, which no "n-th Sunday" covers every year.
        last = local.day + 7 > monthrange(local.year, local.month)[1]
        return cls(
            month=local.month,
            weekday=local.weekday(),
            nth=-1 if last else (local.day - 1) // 7 + 1,
            clock=local.time(),
            offset_from=transition.offset_from,
            offset_to=transition.offset_to,
            name=transition.name,
        )

    def onset(self, year: int) -> datetime:
        """The wall-clock time of the change in `year`, before the change."""
        if self.nth > 0:
            day = 1 + (self.weekday - date(year, self.month, 1).weekday()) % 7 + 7 * (self.nth - 1)
        else:
            length = monthrange(year, self.month)[1]
            day = length - (date(year, self.month, length).weekday() - self.weekday) % 7
        return datetime.combine(date(year, self.month, day), self.clock)

    def transition(self, year: int) -> Transition:
        at = (self.onset(year) - self.offset_from).replace(tzinfo=UTC)
        return Transition(at=at, offset_from=self.offset_from, offset_to=self.offset_to, name=self.name)

    @property
    def rrule(self) -> vRecur:
        return vRecur(freq="YEARLY", bymonth=self.month, byday=f"{self.nth}{WEEKDAY_CODES[self.weekday]}")


def transitions(tz: ZoneInfo, *, first_year: int, last_year: int) -> list[Transition]:
    """Every change of the UTC offset from the start of `first_year` to the end of `last_year` (UTC).

    zoneinfo does not list its transitions, so the offset is compared day by day and each change narrowed
    down to the second; no zone changes its offset twice within one day."""
    found = []
    moment = datetime(first_year, 1, 1, tzinfo=UTC)
    stop = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    offset = _offset(tz, moment)
    while moment < stop:
        following = moment + DAY
        if _offset(tz, following) != offset:
            before, after = moment, following
            while after - before > SECOND:
                middle = before + (after - before) // SECOND // 2 * SECOND
                before, after = (middle, after) if _offset(tz, middle) == offset else (before, middle)
            changed = after.astimezone(tz)
            found.append(Transition(after, offset, changed.utcoffset(), changed.tzname()))
            offset = _offset(tz, following)
        moment = following
    return found


def vtimezone(tzid: str, *, start: datetime, end: datetime) -> Timezone:
    """The VTIMEZONE of `tzid`, right for every moment from `start` to `end`: two yearly RRULEs for a zone
    with daylight saving, one STANDARD without a rule for a zone without."""
    tz = ZoneInfo(tzid)
    first_year, last_year = start.astimezone(UTC).year, end.astimezone(UTC).year
    changes = transitions(tz, first_year=first_year, last_year=last_year)
    opening = datetime(first_year, 1, 1, tzinfo=UTC).astimezone(tz)
    lowest = min([opening.utcoffset(), *(change.offset_to for change in changes)])
    component = Timezone()
    component.add("tzid", tzid)
    rules = _yearly_rules(changes, years=range(first_year, last_year + 1))
    if rules is not None:
        for rule in rules:
            component.add_component(
                _observance(
                    daylight=rule.offset_to > lowest,
                    onset=rule.onset(FIRST_YEAR),
                    offset_from=rule.offset_from,
                    offset_to=rule.offset_to,
                    name=rule.name,
                    rrule=rule.rrule,
                )
            )
        return component
    # No yearly rule fits (no daylight saving, a zone that changes or drops its rule within the span, or
    # one that follows the moon or a decree): the offset in force at the start, then each real change as
    # an observance of its own. Right for the span, which is all an invite needs; RDATE lists are what
    # strict readers misread, so there are none.
    component.add_component(
        _observance(
            daylight=opening.utcoffset() > lowest,
            onset=datetime(FIRST_YEAR, 1, 1),
            offset_from=opening.utcoffset(),
            offset_to=opening.utcoffset(),
            name=opening.tzname(),
        )
    )
    for change in changes:
        component.add_component(
            _observance(
                daylight=change.offset_to > lowest,
                onset=change.local,
                offset_from=change.offset_from,
                offset_to=change.offset_to,
                name=change.name,
            )
        )
    return component


def _yearly_rules(changes: list[Transition], *, years: range) -> tuple[YearlyRule, YearlyRule] | None:
    """The zone's rule as a change back to standard time and one to daylight saving time, if those two
    give exactly the changes seen in every one of `years`."""
    forward = next((change for change in changes if change.offset_to > change.offset_from), None)
    back = next((change for change in changes if change.offset_to < change.offset_from), None)
    if forward is None or back is None:
        return None
    rules = (YearlyRule.of(back), YearlyRule.of(forward))
    predicted = sorted((rule.transition(year) for rule in rules for year in years), key=lambda change: change.at)
    return rules if predicted == changes else None


def _observance(
    *,
    daylight: bool,
    onset: datetime,
    offset_from: timedelta,
    offset_to: timedelta,
    name: str,
    rrule: vRecur | None = None,
) -> TimezoneStandard | TimezoneDaylight:
    # DAYLIGHT is the observance ahead of the zone's lowest offset, as Outlook and most readers expect;
    # tzdata's own flag would call Irish winter time the daylight one (it models negative DST).
    observance = TimezoneDaylight() if daylight else TimezoneStandard()
    observance.add("dtstart", onset)
    observance.add("tzoffsetfrom", offset_from)
    observance.add("tzoffsetto", offset_to)
    observance.add("tzname", name)
    if rrule is not None:
        observance.add("rrule", rrule)
    return observance


def _offset(tz: ZoneInfo, moment: datetime) -> timedelta:
    return moment.astimezone(tz).utcoffset()
