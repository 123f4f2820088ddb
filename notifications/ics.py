"""Calendar invites (iCalendar with iTIP methods) for one consult.

One UID per consult for its whole life; SEQUENCE is the consult's sequence, which rises with every change
and with the cancellation, so calendars replace the event instead of adding a second one. Times of a
single consult are UTC, which needs no VTIMEZONE and is read the same by every client. A series is one
event with an RRULE, which calendars expand in its own time zone (so it needs TZID and a VTIMEZONE: in UTC
a weekly 09:00 would move an hour at every daylight-saving change).
"""

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr

from django.conf import settings
from icalendar import Calendar, Event, vCalAddress, vRecur, vText

from scheduling.models import Appointment, Series
from scheduling.recurrence import MAX_AHEAD

from .vtimezone import vtimezone

REQUEST = "REQUEST"
CANCEL = "CANCEL"


@dataclass(frozen=True)
class Invite:
    method: str
    content: bytes

    @property
    def content_type(self) -> str:
        return f"text/calendar; method={self.method}"

    @property
    def filename(self) -> str:
        return "cancel.ics" if self.method == CANCEL else "invite.ics"


def organizer_address() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "noreply@localhost"


def _calendar(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Videoconsult//Videoconsult//NL")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


@dataclass(frozen=True)
class Texts:
    """What one recipient reads in a calendar entry."""

    attendee_name: str
    attendee_email: str
    summary: str
    description: str
    url: str


def _event(uid: str, sequence: int, now: datetime) -> Event:
    event = Event()
    event.add("uid", uid)
    # DTSTAMP is when this message was made, so it is new on every send.
    event.add("dtstamp", now.astimezone(UTC))
    event.add("sequence", sequence)
    return event


def _occurrence_event(appointment: Appointment, method: str, texts: Texts, now: datetime) -> Event:
    """One session of a series: the series' UID with the session's RECURRENCE-ID (its start as the series
    first planned it), so calendars change or remove that session only."""
    series = appointment.series
    tz = zoneinfo.ZoneInfo(series.time_zone)
    event = _event(series.calendar_uid, series.sequence, now)
    event.add("recurrence-id", appointment.recurrence_id.astimezone(tz))
    event.add("dtstart", appointment.start.astimezone(tz))
    event.add("dtend", appointment.end.astimezone(tz))
    _describe(event, appointment, method, texts)
    return event


def build_invite(*, appointment: Appointment, method: str, texts: Texts, now: datetime) -> Invite:
    """The invite, change or cancellation of one consult, or of one session of a series."""
    calendar = _calendar(method)
    if appointment.series_id is not None:
        calendar.add_component(_occurrence_event(appointment, method, texts, now))
        _add_timezone(calendar, appointment.series, appointment)
        return Invite(method=method, content=calendar.to_ical())
    event = _event(appointment.calendar_uid, appointment.sequence, now)
    event.add("dtstart", appointment.start.astimezone(UTC))
    event.add("dtend", appointment.end.astimezone(UTC))
    _describe(event, appointment, method, texts)
    calendar.add_component(event)
    return Invite(method=method, content=calendar.to_ical())


def build_series_invite(
    *,
    series: Series,
    first: Appointment,
    cancelled_starts: list[datetime],
    overrides: list[tuple[Appointment, Texts]],
    texts: Texts,
    now: datetime,
) -> Invite:
    """The whole series as one event: the first session with the RRULE, EXDATE for sessions left out at
    booking and cancelled ones, and a RECURRENCE-ID override for every session changed since booking
    (moved, or with other details)."""
    tz = zoneinfo.ZoneInfo(series.time_zone)
    calendar = _calendar(REQUEST)
    event = _event(series.calendar_uid, series.sequence, now)
    event.add("dtstart", series.first_start.astimezone(tz))
    event.add("dtend", (series.first_start + (first.end - first.start)).astimezone(tz))
    event.add("rrule", vRecur.from_ical(series.rrule))
    for start in sorted({*series.left_out_starts, *cancelled_starts}):
        event.add("exdate", start.astimezone(tz))
    _describe(event, first, REQUEST, texts)
    calendar.add_component(event)
    for appointment, override_texts in overrides:
        calendar.add_component(_occurrence_event(appointment, REQUEST, override_texts, now))
    _add_timezone(calendar, series, *(appointment for appointment, _texts in overrides))
    return Invite(method=REQUEST, content=calendar.to_ical())


def build_series_cancel(
    *, series: Series, occurrences: list[Appointment], whole: bool, texts: Texts, now: datetime
) -> Invite:
    """One CANCEL for several sessions: one VEVENT per session with its RECURRENCE-ID (RFC 5546 allows
    several components with one UID), or, when nothing of the series is left, the whole UID at once."""
    calendar = _calendar(CANCEL)
    if whole:
        tz = zoneinfo.ZoneInfo(series.time_zone)
        event = _event(series.calendar_uid, series.sequence, now)
        event.add("dtstart", series.first_start.astimezone(tz))
        _describe(event, occurrences[0], CANCEL, texts)
        calendar.add_component(event)
    else:
        for appointment in occurrences:
            calendar.add_component(_occurrence_event(appointment, CANCEL, texts, now))
    _add_timezone(calendar, series, *occurrences)
    return Invite(method=CANCEL, content=calendar.to_ical())


def _add_timezone(calendar: Calendar, series: Series, *sessions: Appointment) -> None:
    # icalendar writes times in UTC itself (UTC, Etc/UTC, GMT) with Z, which needs no VTIMEZONE.
    if series.time_zone not in calendar.get_used_tzids():
        return
    # The zone must be right for every time in the invite. A series ends at most MAX_AHEAD after booking,
    # so before first_start + MAX_AHEAD; a session moved outside that span widens it with its own times.
    times = [series.first_start, series.first_start + MAX_AHEAD]
    times += [moment for session in sessions for moment in (session.start, session.end)]
    # Ahead of the events, so a reader that goes top to bottom knows the zone before the first TZID.
    calendar.subcomponents.insert(0, vtimezone(series.time_zone, start=min(times), end=max(times)))


def _describe(event: Event, appointment: Appointment, method: str, texts: Texts) -> None:
    event.add("summary", texts.summary)
    event.add("description", texts.description)
    event.add("location", texts.url)
    event.add("url", texts.url)
    organizer = vCalAddress(f"mailto:{organizer_address()}")
    organizer.params["cn"] = vText(appointment.organisation.display_sender)
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{texts.attendee_email}")
    attendee.params["cn"] = vText(texts.attendee_name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("NEEDS-ACTION")
    # Replies are not processed, so the invite does not ask for them.
    attendee.params["rsvp"] = vText("FALSE")
    event.add("attendee", attendee)
    if method == REQUEST:
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
    elif appointment.is_cancelled:
        # Uninviting one attendee from a consult that goes on must not say the event is cancelled.
        event.add("status", "CANCELLED")
