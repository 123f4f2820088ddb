"""The agent's calendar subscription as iCalendar (RFC 5545, METHOD:PUBLISH).

Calendar clients poll it (Outlook every few hours, Google about twice a day) and replace what they showed
with what the feed lists, so every consult in the window is in it, cancelled ones too (STATUS:CANCELLED,
with the SEQUENCE that rose with the cancellation): a consult that just disappeared would stay in some
clients' copies. The window reaches back four weeks, so last month's consults can still be looked up,
and ahead half a year, which covers what practices book (series are each session a consult of its own);
beyond that the feed would only grow while every poll reads it.

Times are UTC, as in the single consults' invites: no VTIMEZONE is needed and every client reads them
the same. The summary is the subject; clients' names only when the organisation allows it. The
description links to the agenda of that day, never to a client's join link.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from django.conf import settings
from django.db.models import Count, Max, Prefetch
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vDuration

from accounts.models import Organisation, User
from scheduling.models import Appointment, AppointmentQuerySet, Participant

DAYS_BACK = 28
DAYS_AHEAD = 183
# How often clients that honour it fetch the feed again; Google and Outlook use their own pace.
REFRESH = timedelta(hours=1)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Version:
    """What a poll compares: changes to consults and settings give another ETag."""

    etag: str
    last_modified: datetime


def window(*, organisation: Organisation, today: date) -> Window:
    tz = organisation.tzinfo
    return Window(
        start=datetime.combine(today - timedelta(days=DAYS_BACK), time.min, tzinfo=tz),
        end=datetime.combine(today + timedelta(days=DAYS_AHEAD), time.min, tzinfo=tz),
    )


def _consults(*, user: User, organisation: Organisation, span: Window) -> AppointmentQuerySet:
    # The agent's own consults in their organisation; an assistant's or admin's view of others is not in it.
    return Appointment.objects.filter(
        organisation_id=organisation.pk, agent=user, start__lt=span.end, end__gt=span.start
    )


def feed_version(*, user: User, organisation: Organisation, span: Window) -> Version:
    """One query: enough to answer a poll that has the current feed with 304."""
    figures = _consults(user=user, organisation=organisation, span=span).aggregate(
        count=Count("pk"), changed=Max("updated_at")
    )
    # Clients' names are erased at the end of the retention period without a change to the consult; the
    # window's start moves daily, so the day in the ETag refreshes both at least once a day.
    parts = [
        figures["count"],
        figures["changed"],
        span.start,
        organisation.feed_shows_client_names,
        organisation.name,
        user.full_name,
        user.language,
        settings.SITE_URL,
    ]
    etag = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return Version(etag=f'"{etag}"', last_modified=figures["changed"] or span.start)


def build_feed(*, user: User, organisation: Organisation, span: Window) -> bytes:
    """The feed: one query for the consults, and one for their clients when their names are shown."""
    consults = _consults(user=user, organisation=organisation, span=span).order_by("start", "pk")
    if organisation.feed_shows_client_names:
        consults = consults.prefetch_related(
            Prefetch("participants", queryset=Participant.objects.active(), to_attr="active_participants")
        )
    with translation.override(user.language):
        calendar = Calendar()
        calendar.add("prodid", "-//Videoconsult//Videoconsult//NL")
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("x-wr-calname", _("Consults · %(organisation)s") % {"organisation": organisation.name})
        calendar.add("x-wr-caldesc", _("Video consults of %(name)s") % {"name": user.full_name})
        calendar.add("x-wr-timezone", organisation.time_zone)
        calendar.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(REFRESH))
        for consult in consults:
            calendar.add_component(_event(consult, organisation.feed_shows_client_names, organisation.tzinfo))
    return calendar.to_ical()


def _event(consult: Appointment, with_names: bool, tz: tzinfo) -> Event:
    event = Event()
    # Not the invite's UID: an agent who also accepted the emailed invite would otherwise have two events
    # with one UID in one account, which Outlook and Google merge or refuse unpredictably.
    event.add("uid", f"feed-{consult.calendar_uid}")
    event.add("sequence", consult.sequence)
    # The consult's own change time, so an unchanged consult reads the same in every poll.
    event.add("dtstamp", consult.updated_at.astimezone(UTC))
    event.add("last-modified", consult.updated_at.astimezone(UTC))
    event.add("created", consult.created_at.astimezone(UTC))
    event.add("dtstart", consult.start.astimezone(UTC))
    event.add("dtend", consult.end.astimezone(UTC))
    summary = consult.subject
    names = [p.name for p in getattr(consult, "active_participants", []) if p.name] if with_names else []
    if names:
        summary = f"{summary}: {', '.join(names)}"
    event.add("summary", summary)
    day = timezone.localtime(consult.start, tz).date()
    agenda = settings.SITE_URL + reverse("scheduling:agenda") + f"?date={day.isoformat()}"
    event.add("description", _("The day in the agenda: %(url)s") % {"url": agenda})
    event.add("url", agenda)
    event.add("status", "CANCELLED" if consult.is_cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if consult.is_cancelled else "OPAQUE")
    return event
