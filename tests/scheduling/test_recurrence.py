"""Series expansion, checked against an independent implementation: the series' calendar event with its
RRULE, expanded by recurring-ical-events, must give exactly the starts we store."""

import zoneinfo
from datetime import date, datetime, timedelta

import icalendar
import pytest
import recurring_ical_events

from scheduling.recurrence import Frequency, Pattern, expand, occurrence_errors, pattern_errors

AMS = zoneinfo.ZoneInfo("Europe/Amsterdam")


def independent(pattern: Pattern, first_start: datetime) -> list[datetime]:
    calendar = icalendar.Calendar()
    event = icalendar.Event()
    event.add("uid", "series@test")
    event.add("dtstart", first_start)
    event.add("dtend", first_start + timedelta(minutes=30))
    event.add("rrule", icalendar.vRecur.from_ical(pattern.rrule(first_start=first_start, tz=AMS)))
    calendar.add_component(event)
    calendar = icalendar.Calendar.from_ical(calendar.to_ical())  # as a calendar program reads it
    found = recurring_ical_events.of(calendar).between(first_start, first_start + timedelta(days=800))
    return sorted(e["DTSTART"].dt for e in found)


CASES = [
    # Weekly at 09:00 across the end of daylight-saving time (25 October 2026) and its start (28 March 2027).
    (Pattern(Frequency.WEEKLY, count=10), datetime(2026, 10, 6, 9, 0, tzinfo=AMS)),
    (Pattern(Frequency.WEEKLY, weekdays=(0, 3), until=date(2027, 4, 15)), datetime(2027, 3, 1, 9, 0, tzinfo=AMS)),
    (Pattern(Frequency.WEEKLY, interval=2, weekdays=(1,), count=16), datetime(2026, 12, 1, 14, 30, tzinfo=AMS)),
    (Pattern(Frequency.DAILY, interval=3, count=20), datetime(2027, 3, 20, 8, 15, tzinfo=AMS)),
    (Pattern(Frequency.DAILY, until=date(2027, 4, 2)), datetime(2027, 3, 25, 17, 0, tzinfo=AMS)),
    # On the 31st: months without one are skipped.
    (Pattern(Frequency.MONTHLY, count=7), datetime(2027, 1, 31, 10, 0, tzinfo=AMS)),
    (Pattern(Frequency.MONTHLY, interval=2, until=date(2028, 1, 1)), datetime(2027, 1, 15, 11, 0, tzinfo=AMS)),
    (Pattern(Frequency.YEARLY, count=2), datetime(2027, 5, 10, 9, 0, tzinfo=AMS)),
]


@pytest.mark.parametrize(("pattern", "first_start"), CASES)
def test_expansion_matches_recurring_ical_events(pattern, first_start):
    starts = expand(pattern, first_start=first_start, tz=AMS)
    assert starts == independent(pattern, first_start)
    assert starts[0] == first_start


def test_a_weekly_consult_stays_at_nine_across_daylight_saving_changes():
    starts = expand(Pattern(Frequency.WEEKLY, count=10), first_start=datetime(2026, 10, 13, 9, 0, tzinfo=AMS), tz=AMS)
    assert {(s.hour, s.minute) for s in starts} == {(9, 0)}
    offsets = {s.utcoffset() for s in starts}
    assert offsets == {timedelta(hours=2), timedelta(hours=1)}  # summer and winter time, same wall clock


def test_a_monthly_series_on_the_31st_skips_short_months():
    starts = expand(Pattern(Frequency.MONTHLY, count=4), first_start=datetime(2027, 1, 31, 10, 0, tzinfo=AMS), tz=AMS)
    assert [s.date() for s in starts] == [date(2027, 1, 31), date(2027, 3, 31), date(2027, 5, 31), date(2027, 7, 31)]


def test_an_hour_that_does_not_exist_takes_the_offset_from_before_the_gap():
    # 02:30 on 28 March 2027 does not exist in Amsterdam: RFC 5545 reads it with the winter offset.
    starts = expand(Pattern(Frequency.DAILY, count=3), first_start=datetime(2027, 3, 27, 2, 30, tzinfo=AMS), tz=AMS)
    assert starts[1].utcoffset() == timedelta(hours=1)
    assert starts == independent(Pattern(Frequency.DAILY, count=3), datetime(2027, 3, 27, 2, 30, tzinfo=AMS))


def test_the_limits_are_explained():
    first = datetime(2026, 12, 1, 9, 0, tzinfo=AMS)
    assert (
        "at least 2 sessions"
        in pattern_errors(Pattern(Frequency.WEEKLY, count=1), first_start=first, tz=AMS)["count"][0]
    )
    assert "at most 200" in pattern_errors(Pattern(Frequency.WEEKLY, count=201), first_start=first, tz=AMS)["count"][0]
    assert pattern_errors(Pattern(Frequency.WEEKLY, until=date(2026, 12, 1)), first_start=first, tz=AMS)["until"] == [
        "The end date must be after the first consult."
    ]
    assert (
        "Tuesday"
        in pattern_errors(Pattern(Frequency.WEEKLY, weekdays=(0,), count=3), first_start=first, tz=AMS)["weekdays"][0]
    )
    both = pattern_errors(Pattern(Frequency.DAILY, count=3, until=date(2027, 1, 1)), first_start=first, tz=AMS)
    assert both["count"] == ["Give either an end date or a number of sessions."]
    now = datetime(2026, 11, 23, 12, 0, tzinfo=AMS)
    daily_long = expand(Pattern(Frequency.DAILY, until=date(2027, 12, 31)), first_start=first, tz=AMS)
    assert "more than 200" in occurrence_errors(daily_long, now=now)[0]
    too_far = expand(Pattern(Frequency.MONTHLY, count=30), first_start=first, tz=AMS)
    assert "two years" in occurrence_errors(too_far, now=now)[0]
    one = expand(Pattern(Frequency.YEARLY, until=date(2027, 6, 1)), first_start=first, tz=AMS)
    assert "only one" in occurrence_errors(one, now=now)[0]
