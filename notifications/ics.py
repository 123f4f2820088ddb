"""Calendar invites (iCalendar with iTIP methods) for one consult.

One UID per consult for its whole life; SEQUENCE is the consult's sequence, which rises with every change
and with the cancellation, so calendars replace the event instead of adding a second one. Times are UTC,
which needs no VTIMEZONE and is read the same by every client.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr

from django.conf import settings
from icalendar import Calendar, Event, vCalAddress, vText

from scheduling.models import Appointment

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
    calendar = Calendar()
    calendar.add("prodid", "-//Videoconsult//Videoconsult//NL")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)

    event = Event()
    event.add("uid", appointment.calendar_uid)
    # DTSTAMP is when this message was made, so it is new on every send.
    event.add("dtstamp", now.astimezone(UTC))
    event.add("sequence", appointment.sequence)
    event.add("dtstart", appointment.start.astimezone(UTC))
    event.add("dtend", appointment.end.astimezone(UTC))
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
    calendar.add_component(event)
    return Invite(method=method, content=calendar.to_ical())
