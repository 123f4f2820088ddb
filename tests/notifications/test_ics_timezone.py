"""The time zone in series invites: one STANDARD and one DAYLIGHT with a yearly RRULE, derived from the zone
data, that a second parser (vobject) and icalendar with recurring-ical-events both read back to the stored
time of every session, across both clock changes of the year."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
import vobject
from django.core import mail
from django.utils import timezone

from notifications.vtimezone import vtimezone
from scheduling.changes import cancel_consult, change_consult
from scheduling.recurrence import Frequency, Pattern
from scheduling.services import ParticipantInput
from scheduling.values import Scope

# Zone, the first month of a weekly series, and the yearly rules it must get, as (BYMONTH, BYDAY, TZOFFSETTO).
RULES = {
    "Europe/Amsterdam": (10, {"STANDARD": ([10], ["-1SU"], "+0100"), "DAYLIGHT": ([3], ["-1SU"], "+0200")}),
    "America/New_York": (10, {"STANDARD": ([11], ["1SU"], "-0500"), "DAYLIGHT": ([3], ["2SU"], "-0400")}),
    "Australia/Sydney": (3, {"STANDARD": ([4], ["1SU"], "+1000"), "DAYLIGHT": ([10], ["1SU"], "+1100")}),
}


def _first_tuesday_ahead(month: int, tz: ZoneInfo) -> datetime:
    """09:00 on the first Tuesday of the next `month` that is at least a week ahead."""
    today = timezone.localdate(timezone=tz)
    year = today.year if date(today.year, month, 1) > today + timedelta(days=7) else today.year + 1
    first = date(year, month, 1)
    day = first + timedelta(days=(1 - first.weekday()) % 7)
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=tz)


@pytest.fixture
def weekly_across_both_changes(series, reminder, organisation):
    """A weekly series of 35 in the given zone, begun before the first clock change of its season, so it
    runs past both changes of the year (about eight months); returns it and the invite sent to the client."""

    def make(zone: str):
        organisation.time_zone = zone
        organisation.save()
        month = RULES[zone][0]
        booked = series(_first_tuesday_ahead(month, ZoneInfo(zone)), Pattern(Frequency.WEEKLY, count=35))
        return booked, _invite_to("chris@example.org")

    return make


def _invite_to(address: str) -> bytes:
    (message,) = [m for m in mail.outbox if m.to == [address]]
    mail.outbox.clear()
    body = next(content for content, kind in message.alternatives if kind.startswith("text/calendar"))
    return body.encode() if isinstance(body, str) else body


def _observances(ics: bytes) -> list[icalendar.Component]:
    (zone,) = icalendar.Calendar.from_ical(ics).walk("VTIMEZONE")
    return zone.subcomponents


def _read_with_vobject(ics: bytes):
    """The invite as vobject reads it, and the tzinfo vobject (through dateutil) makes of its VTIMEZONE.
    vobject keeps the first VTIMEZONE it meets for a TZID for the rest of the process, so the zone is taken
    from this invite rather than left to whichever test read one first."""
    calendar = vobject.readOne(ics.decode())
    return calendar, calendar.vtimezone.gettzinfo()


def _in_utc(moment: datetime, zone) -> datetime:
    """A wall-clock time read from the invite, placed by the invite's own zone."""
    return moment.replace(tzinfo=zone).astimezone(UTC)


def _stored_starts(booked) -> list[datetime]:
    return [start.astimezone(UTC) for start in booked.occurrences.order_by("start").values_list("start", flat=True)]


def test_amsterdam_series_invite_has_one_yearly_standard_and_one_yearly_daylight_rule(weekly_across_both_changes):
    _booked, ics = weekly_across_both_changes("Europe/Amsterdam")
    observances = _observances(ics)

    assert sorted(o.name for o in observances) == ["DAYLIGHT", "STANDARD"]
    for observance in observances:
        bymonth, byday, offset_to = RULES["Europe/Amsterdam"][1][observance.name]
        assert observance["RRULE"]["FREQ"] == ["YEARLY"]
        assert (observance["RRULE"]["BYMONTH"], observance["RRULE"]["BYDAY"]) == (bymonth, byday)
        assert observance["TZOFFSETTO"].to_ical() == offset_to
        assert "RDATE" not in observance
        # The onset lies before any series, on a day the rule itself gives (the last Sunday in 1970).
        assert observance.decoded("DTSTART").year == 1970
    assert b"RDATE" not in ics
    daylight = next(o for o in observances if o.name == "DAYLIGHT")
    assert daylight["TZOFFSETFROM"].to_ical() == "+0100"
    assert daylight.decoded("DTSTART") == datetime(1970, 3, 29, 2, 0)


@pytest.mark.parametrize("zone", RULES)
def test_vobject_reads_every_session_across_both_clock_changes_at_its_stored_time(weekly_across_both_changes, zone):
    booked, ics = weekly_across_both_changes(zone)
    calendar, own_zone = _read_with_vobject(ics)

    read = sorted(_in_utc(start, own_zone) for start in calendar.vevent.getrruleset())
    stored = _stored_starts(booked)
    assert len(read) == len(stored) == 35
    assert read == stored
    # Both offsets of the year occur, so the series did cross the changes.
    assert len({start.astimezone(ZoneInfo(zone)).utcoffset() for start in stored}) == 2


@pytest.mark.parametrize("zone", RULES)
def test_icalendar_and_recurring_ical_events_read_every_session_at_its_stored_time(weekly_across_both_changes, zone):
    booked, ics = weekly_across_both_changes(zone)
    calendar = icalendar.Calendar.from_ical(ics)
    # icalendar would take the TZID from its own zone data; the VTIMEZONE in the invite is what is tested.
    (component,) = calendar.walk("VTIMEZONE")
    own_zone = component.to_tz(lookup_tzid=False)
    stored = _stored_starts(booked)

    expanded = recurring_ical_events.of(calendar).between(stored[0] - timedelta(days=1), stored[-1] + timedelta(days=1))
    assert sorted(_in_utc(event["DTSTART"].dt.replace(tzinfo=None), own_zone) for event in expanded) == stored


@pytest.mark.parametrize("zone", ["America/New_York", "Australia/Sydney"])
def test_the_yearly_rules_come_from_the_zone_data_not_from_the_dutch_rule(weekly_across_both_changes, zone):
    _booked, ics = weekly_across_both_changes(zone)
    observances = _observances(ics)

    assert sorted(o.name for o in observances) == ["DAYLIGHT", "STANDARD"]
    assert {
        o.name: (o["RRULE"]["BYMONTH"], o["RRULE"]["BYDAY"], o["TZOFFSETTO"].to_ical()) for o in observances
    } == RULES[zone][1]
    assert b"RDATE" not in ics


def test_a_zone_without_daylight_saving_gets_a_single_standard_component(series, reminder, organisation):
    organisation.time_zone = "Asia/Tokyo"
    organisation.save()
    series(_first_tuesday_ahead(10, ZoneInfo("Asia/Tokyo")), Pattern(Frequency.WEEKLY, count=35))

    (observance,) = _observances(_invite_to("chris@example.org"))
    assert observance.name == "STANDARD"
    assert "RRULE" not in observance and "RDATE" not in observance
    assert observance["TZOFFSETFROM"].to_ical() == observance["TZOFFSETTO"].to_ical() == "+0900"
    span = {"start": datetime(2027, 1, 1, tzinfo=UTC), "end": datetime(2029, 1, 1, tzinfo=UTC)}
    (utc,) = vtimezone("UTC", **span).subcomponents
    assert utc.name == "STANDARD" and "RRULE" not in utc and utc["TZOFFSETTO"].to_ical() == "+0000"


def test_a_moved_session_and_a_cancellation_carry_the_yearly_zone_and_read_at_their_stored_times(
    weekly_across_both_changes, django_capture_on_commit_callbacks
):
    booked, _ics = weekly_across_both_changes("Europe/Amsterdam")
    sessions = list(booked.occurrences.order_by("start"))
    summer = [s for s in sessions if s.start.astimezone(ZoneInfo("Europe/Amsterdam")).dst()]
    moved = summer[0]
    with django_capture_on_commit_callbacks(execute=True):
        change_consult(
            appointment=moved,
            changed_by=moved.booked_by,
            expected_sequence=moved.sequence,
            scope=Scope.THIS,
            team=moved.team,
            agent=moved.agent,
            start=moved.start + timedelta(hours=1),
            end=moved.end + timedelta(hours=1),
            subject=moved.subject,
            message=moved.message,
            participants=[
                ParticipantInput(p.name, p.channel, p.language, p.email, p.phone, p.pk)
                for p in moved.participants.active()
            ],
            allow_conflicts=True,
        )
    change = _invite_to("chris@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        cancel_consult(appointment=summer[1], cancelled_by=moved.booked_by, scope=Scope.FOLLOWING)
    cancellation = _invite_to("chris@example.org")

    for ics in (change, cancellation):
        assert sorted(o.name for o in _observances(ics)) == ["DAYLIGHT", "STANDARD"]
        assert all("RRULE" in o for o in _observances(ics)) and b"RDATE" not in ics
    calendar, own_zone = _read_with_vobject(change)
    moved.refresh_from_db()
    assert _in_utc(calendar.vevent.dtstart.value, own_zone) == moved.start
    assert _in_utc(calendar.vevent.recurrence_id.value, own_zone) == moved.recurrence_id
    calendar, own_zone = _read_with_vobject(cancellation)
    cancelled = [s.recurrence_id for s in booked.occurrences.filter(start__gte=summer[1].start).order_by("start")]
    assert sorted(_in_utc(event.recurrence_id.value, own_zone) for event in calendar.vevent_list) == cancelled


def test_a_zone_whose_changes_follow_no_yearly_rule_gets_each_change_of_the_span():
    """Morocco leaves daylight saving for Ramadan, which moves through the year: no RRULE fits, so every
    change in the span is an observance of its own, and vobject reads the zone's offset at every hour."""
    tz = ZoneInfo("Africa/Casablanca")
    start, end = datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 12, 31, tzinfo=UTC)
    component = vtimezone("Africa/Casablanca", start=start, end=end)
    ics = component.to_ical()
    assert b"RRULE" not in ics and b"RDATE" not in ics
    assert len(component.subcomponents) == 5  # the offset at the start and two changes a year

    calendar = icalendar.Calendar()
    calendar.add_component(component)
    _calendar, read = _read_with_vobject(calendar.to_ical())
    moment = start
    while moment < end:
        local = moment.astimezone(tz).replace(tzinfo=None)
        if local.replace(tzinfo=tz, fold=1).utcoffset() == local.replace(tzinfo=tz).utcoffset():  # not twice
            assert local.replace(tzinfo=read).utcoffset() == moment.astimezone(tz).utcoffset(), local
        moment += timedelta(hours=1)
