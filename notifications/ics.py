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


def build_invite(
    *,
    appointment: Appointment,
    method: str,
    attendee_name: str,
    attendee_email: str,
    summary: str,
    description: str,
    url: str,
    now: datetime,
) -> Invite:
    calendar = _calendar(method)
    event = Event()
    event.add("uid", appointment.calendar_uid)
    # DTSTAMP is when this message was made, so it is new on every send.
    event.add("dtstamp", now.astimezone(UTC))
    event.add("sequence", appointment.sequence)
    event.add("dtstart", appointment.start.astimezone(UTC))
    event.add("dtend", appointment.end.astimezone(UTC))
    _describe(event, appointment, method, attendee_name, attendee_email, summary, description, url)
    calendar.add_component(event)
    return Invite(method=method, content=calendar.to_ical())


def build_series_invite(
    *,
    series: Series,
    first: Appointment,
    cancelled_starts: list[datetime],
    attendee_name: str,
    attendee_email: str,
    summary: str,
    description: str,
    url: str,
    now: datetime,
) -> Invite:
    """The whole series as one event: the first session with the RRULE, EXDATE for cancelled sessions."""
    tz = zoneinfo.ZoneInfo(series.time_zone)
    calendar = _calendar(REQUEST)
    event = Event()
    event.add("uid", series.calendar_uid)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("sequence", series.sequence)
    event.add("dtstart", series.first_start.astimezone(tz))
    event.add("dtend", (series.first_start + (first.end - first.start)).astimezone(tz))
    event.add("rrule", vRecur.from_ical(series.rrule))
    for start in cancelled_starts:
        event.add("exdate", start.astimezone(tz))
    _describe(event, first, REQUEST, attendee_name, attendee_email, summary, description, url)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return Invite(method=REQUEST, content=calendar.to_ical())


def _describe(
    event: Event,
    appointment: Appointment,
    method: str,
    attendee_name: str,
    attendee_email: str,
    summary: str,
    description: str,
    url: str,
) -> None:
    event.add("summary", summary)
    event.add("description", description)
    event.add("location", url)
    event.add("url", url)
    organizer = vCalAddress(f"mailto:{organizer_address()}")
    organizer.params["cn"] = vText(appointment.organisation.display_sender)
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{attendee_email}")
    attendee.params["cn"] = vText(attendee_name)
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
