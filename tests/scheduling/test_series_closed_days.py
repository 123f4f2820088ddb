"""Series dates on a weekend or a Dutch public holiday: marked in the list of dates, named in the page's
language, and skipped with one tick, as EXDATEs that the stored rule, the calendar invite and the booked
consults agree on. A skipped date still counts towards the number of sessions (RFC 5545)."""

import re
import zoneinfo
from datetime import date, datetime, timedelta

import icalendar
import pytest
import recurring_ical_events
import vobject
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from scheduling.closed_days import closed_day
from scheduling.models import Appointment, Series
from scheduling.recurrence import Frequency, Pattern, expand, resolve_skips

AMS = zoneinfo.ZoneInfo("Europe/Amsterdam")
URL = reverse("scheduling:appointment-create")
PREVIEW_URL = reverse("scheduling:series-preview")


@pytest.mark.parametrize(
    ("day", "dutch", "english"),
    [
        (date(2027, 1, 1), "Nieuwjaarsdag", "New Year's Day"),
        (date(2027, 3, 26), "Goede vrijdag", "Good Friday"),
        (date(2027, 3, 29), "Tweede paasdag", "Easter Monday"),
        (date(2027, 4, 27), "Koningsdag", "King's Day"),
        # The 27th is a Sunday in 2025: Koningsdag moves to the 26th.
        (date(2025, 4, 26), "Koningsdag", "King's Day"),
        # Bevrijdingsdag in lustrum years only (the package's rule, as most collective agreements).
        (date(2030, 5, 5), "Bevrijdingsdag", "Liberation Day"),
        (date(2027, 5, 6), "Hemelvaartsdag", "Ascension Day"),
        (date(2027, 5, 17), "Tweede pinksterdag", "Pentecost Monday"),
        (date(2026, 12, 25), "Eerste kerstdag", "Christmas Day"),
        (date(2027, 1, 9), "zaterdag", "Saturday"),
        (date(2027, 1, 10), "zondag", "Sunday"),
    ],
)
def test_weekend_days_and_dutch_public_holidays_are_named_in_the_pages_language(day, dutch, english):
    with translation.override("nl"):
        assert closed_day(day).lower() == dutch.lower()
    with translation.override("en"):
        assert closed_day(day) == english


@pytest.mark.parametrize("day", [date(2027, 4, 26), date(2027, 5, 5), date(2027, 1, 8), date(2027, 3, 30)])
def test_working_days_are_not_marked(day):
    assert closed_day(day) == ""


def test_a_monthly_series_from_a_wednesday_hits_a_saturday_and_skipping_it_is_an_exdate():
    first = datetime(2026, 12, 9, 10, 0, tzinfo=AMS)  # a Wednesday
    pattern = Pattern(Frequency.MONTHLY, count=6)
    every = expand(pattern, first_start=first, tz=AMS)
    assert [closed_day(start.date()) for start in every] == ["", "Saturday", "", "", "", "Sunday"]

    skipping = resolve_skips(pattern, first_start=first, tz=AMS, skip_closed=True)
    assert skipping.skip == (date(2027, 1, 9), date(2027, 5, 9))
    assert skipping.exdate(first_start=first, tz=AMS) == "20270109T100000,20270509T100000"
    # RFC 5545: the skipped dates count towards COUNT, 6 dates of which 4 take place.
    assert skipping.rrule(first_start=first, tz=AMS) == pattern.rrule(first_start=first, tz=AMS)
    assert [s.date() for s in expand(skipping, first_start=first, tz=AMS)] == [
        date(2026, 12, 9),
        date(2027, 2, 9),
        date(2027, 3, 9),
        date(2027, 4, 9),
    ]


def test_skips_keep_only_dates_the_pattern_gives_and_never_the_first():
    first = datetime(2027, 1, 9, 10, 0, tzinfo=AMS)  # itself a Saturday, chosen on purpose
    pattern = Pattern(Frequency.WEEKLY, count=3, skip=(date(2027, 1, 9), date(2027, 1, 12), date(2027, 1, 16)))
    assert resolve_skips(pattern, first_start=first, tz=AMS, skip_closed=False).skip == (date(2027, 1, 16),)
    every_saturday = resolve_skips(pattern, first_start=first, tz=AMS, skip_closed=True)
    assert every_saturday.skip == (date(2027, 1, 16), date(2027, 1, 23))


# --- the booking form ---------------------------------------------------------------------------------


@pytest.fixture
def wednesday(organisation) -> date:
    """A Wednesday at least a week ahead whose date a month later is a Saturday."""
    day = timezone.localdate(timezone=organisation.tzinfo) + timedelta(days=7)
    while not (day.weekday() == 2 and (day + relativedelta(months=1)).weekday() == 5 and day.day <= 28):
        day += timedelta(days=1)
    return day


@pytest.fixture
def monthly_data(form_data, wednesday):
    def make(**repeat):
        values = {"repeat": "on", "frequency": "MONTHLY", "interval": "1", "ends": "count", "count": "3"}
        values.update(repeat)
        return form_data(date=wednesday.isoformat()) | {f"repeat-{key}": value for key, value in values.items()}

    return make


def _fingerprint(response) -> str:
    return re.search(rb'data-fingerprint="([0-9a-f]*)"', response.content).group(1).decode()


def test_the_preview_marks_the_saturday_and_offers_to_skip_it(assistant_client, monthly_data, wednesday, reminder):
    response = assistant_client.post(PREVIEW_URL, monthly_data())
    html = response.content.decode()
    saturday = wednesday + relativedelta(months=1)
    preview = response.context["preview"]
    assert [o.closed for o in preview.occurrences][1] == "Saturday"
    assert "1 date falls on a weekend or a public holiday" in html
    assert 'name="repeat-skip_closed"' in html
    assert f'name="repeat-skip" value="{saturday.isoformat()}"' in html
    # The first date was chosen on purpose: it cannot be skipped here.
    assert f'value="{wednesday.isoformat()}"' not in html


def test_skipping_changes_the_fingerprint_and_books_the_other_dates_with_an_exdate(
    assistant_client, monthly_data, wednesday, reminder, django_capture_on_commit_callbacks
):
    saturday = wednesday + relativedelta(months=1)
    shown = assistant_client.post(URL, monthly_data())
    assert not Appointment.objects.exists()

    # Ticking "skip" after the dates were shown needs the dates shown again.
    response = assistant_client.post(URL, monthly_data(skip_closed="on", preview_of=_fingerprint(shown)))
    assert response.status_code == 200 and not Appointment.objects.exists()
    html = response.content.decode()
    assert "The series: 2 consults" in html
    assert "2 of 3 dates take place" in html
    assert "<del>" in html

    with django_capture_on_commit_callbacks(execute=True):
        response = assistant_client.post(URL, monthly_data(skip_closed="on", preview_of=_fingerprint(response)))
    assert response.status_code == 302
    series = Series.objects.get()
    starts = [timezone.localtime(a.start, AMS).date() for a in series.occurrences.order_by("start")]
    assert starts == [wednesday, wednesday + relativedelta(months=2)]
    assert series.rrule == "FREQ=MONTHLY;INTERVAL=1;COUNT=3"
    assert series.exdate == f"{saturday:%Y%m%d}T100000"

    # The invite says the same: calendars expand it to exactly the consults booked.
    (email,) = [m for m in mail.outbox if m.to == ["jan@example.org"]]
    invite = next(body for body, kind in email.alternatives if kind.startswith("text/calendar"))
    calendar = icalendar.Calendar.from_ical(invite)
    (event,) = calendar.walk("VEVENT")
    exdates = [moment.dt for value in _as_list(event["EXDATE"]) for moment in value.dts]
    assert exdates == [datetime.combine(saturday, datetime.min.time().replace(hour=10), tzinfo=AMS)]
    first = datetime.combine(wednesday, datetime.min.time(), tzinfo=AMS)
    expanded = recurring_ical_events.of(calendar).between(first, first + timedelta(days=400))
    assert sorted(e["DTSTART"].dt for e in expanded) == [a.start for a in series.occurrences.order_by("start")]
    parsed = vobject.readOne(invite)
    assert [start.date() for start in parsed.vevent.getrruleset()] == starts
    # The email lists the consults that take place, and not the skipped Saturday.
    assert "reeks van 2 videoconsulten" in email.body
    listed = re.findall(r"^\d+\. (\w+) ", email.body, flags=re.MULTILINE)
    assert len(listed) == 2 and "Zaterdag" not in listed


def _as_list(value):
    return value if isinstance(value, list) else [value]


def test_a_single_date_can_be_skipped_by_its_own_box(assistant_client, monthly_data, wednesday, reminder):
    last = wednesday + relativedelta(months=2)
    response = assistant_client.post(PREVIEW_URL, monthly_data(skip=last.isoformat()))
    preview = response.context["preview"]
    assert [o.left_out for o in preview.occurrences] == [False, False, True]
    assert len(preview.booked) == 2
    plain = assistant_client.post(PREVIEW_URL, monthly_data())
    assert _fingerprint(response) != _fingerprint(plain)


def test_a_date_that_is_not_a_date_is_refused(assistant_client, monthly_data, reminder):
    response = assistant_client.post(URL, monthly_data(skip="soon"))
    assert response.status_code == 200
    assert "Choose dates from the list." in response.content.decode()
