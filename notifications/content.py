"""What a message says, worked out once for email and SMS: in the recipient's language, with times in the
organisation's time zone, from the consult as it is at the moment of sending."""

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.models import Organisation
from scheduling.models import Appointment, Participant

from .letter import inner_text
from .models import NOTICE_PURPOSES, SERIES_PURPOSES, Notification, Purpose
from .placeholders import fill_placeholders
from .wording import Audience, sessions_label, wording


@dataclass(frozen=True)
class Content:
    purpose: str
    language: str
    for_agent: bool
    organisation: Organisation
    recipient_name: str
    agent_name: str
    consult_subject: str
    date: str
    date_short: str
    time: str
    end_time: str
    link: str
    link_label: str
    headline: str
    # The standard opening sentence of this kind of message; the organisation's text replaces it.
    intro: str
    # The admin's own invitation text, filled in; only in invitations to participants.
    custom_text: str
    # The assistant's message from the booking form, in the recipient's language when it is the
    # organisation's default; participants see it first in invitations and changes.
    message: str
    participants: list[str]
    logo_url: str
    # True when the consult still takes place for this recipient: the link then works.
    link_works: bool
    # A series message lists the sessions it is about: (date, time, the recipient's link for it or "").
    sessions: list[tuple[str, str, str]] = field(default_factory=list)
    sessions_label: str = ""
    # The link as an SMS carries it: shorter, to the same page.
    sms_link: str = ""
    # In notices to staff (NOTICE_PURPOSES): the client who acted and, for a request, their note.
    client_name: str = ""
    client_note: str = ""
    # A participant's page for cancelling or asking for another time, with what it offers and until when;
    # empty when the organisation does not offer it or the cut-off has passed.
    self_service_link: str = ""
    self_service_text: str = ""
    self_service_label: str = ""

    @property
    def introduction(self) -> str:
        """What introduces the practical part: the organisation's own text, or else the standard one."""
        return self.custom_text or self.intro


@dataclass(frozen=True)
class Session:
    """One occurrence of a series as one recipient sees it."""

    appointment: Appointment
    # The recipient's own join link for it (the agent's agenda for agents).
    link: str
    # Whether the recipient takes part: the participant is on it, or the agent is its agent.
    present: bool
    participant: Participant | None = None

    @property
    def planned(self) -> bool:
        return self.present and not self.appointment.is_cancelled


def series_sessions(notification: Notification) -> list[Session]:
    """Every occurrence of the notification's series, as its recipient sees it. Participants are per
    occurrence; the same person holds the same position in each. Read once per notification object: the
    check before sending, the text and the calendar invite all ask for it."""
    cached = getattr(notification, "_series_sessions", None)
    if cached is None:
        # A cache on the instance, which lives as long as the one send that reads it.
        cached = notification._series_sessions = _read_series_sessions(notification)  # type: ignore[attr-defined]
    return cached


def _read_series_sessions(notification: Notification) -> list[Session]:
    series_id = notification.appointment.series_id
    if series_id is None:
        return []  # only messages about a series are written with sessions
    occurrences = Appointment.objects.filter(series_id=series_id).select_related("organisation", "agent", "series")
    recipient = notification.participant
    if recipient is None:
        return [
            Session(a, agenda_url(a), a.agent_id == notification.user_id) for a in occurrences.order_by("recurrence_id")
        ]
    position = recipient.position
    mine = {
        p.appointment_id: p
        for p in Participant.objects.filter(appointment__series_id=series_id, position=position).order_by("pk")
    }
    sessions = []
    for appointment in occurrences.order_by("recurrence_id"):
        participant = mine.get(appointment.pk)
        present = participant is not None and participant.removed_at is None
        join_url = participant.join_url if participant is not None and present else ""
        sessions.append(Session(appointment, join_url, present, participant))
    return sessions


def _gone(session: Session, notification: Notification) -> bool:
    """Whether this series cancellation tells the recipient that the session is off for them: cancelled by the
    same action as the notification's occurrence, or the recipient was taken off it."""
    anchor, appointment = notification.appointment, session.appointment
    if appointment.is_cancelled:
        return anchor.is_cancelled and appointment.cancelled_at == anchor.cancelled_at and session.present
    recipient = notification.participant
    if recipient is None:
        return appointment.agent_id != notification.user_id
    return session.participant is not None and session.participant.removed_at == recipient.removed_at


def affected_sessions(notification: Notification) -> list[Session]:
    """The sessions a series message is about, from the notification's occurrence on: those planned for the
    recipient (invitation, change) or those that are off for them (cancellation)."""
    start = notification.appointment.start
    sessions = [s for s in series_sessions(notification) if s.appointment.start >= start]
    if notification.purpose == Purpose.SERIES_CANCELLATION:
        return [s for s in sessions if _gone(s, notification)]
    return [s for s in sessions if s.planned]


def _listed(sessions: list[Session], organisation: Organisation, with_links: bool) -> list[tuple[str, str, str]]:
    return [
        (
            formats.date_format(_local(s.appointment.start, organisation), "l j F Y"),
            formats.time_format(_local(s.appointment.start, organisation), "H:i"),
            s.link if with_links and s.participant is not None else "",
        )
        for s in sessions
    ]


def agenda_url(appointment: Appointment) -> str:
    day = timezone.localdate(appointment.start, timezone=appointment.organisation.tzinfo)
    return f"{settings.SITE_URL}{reverse('scheduling:agenda')}?{urlencode({'date': day.isoformat()})}"


def _local(moment: datetime, organisation: Organisation) -> datetime:
    return timezone.localtime(moment, timezone=organisation.tzinfo)


def consult_url(appointment: Appointment, name: str = "scheduling:appointment-detail") -> str:
    return settings.SITE_URL + reverse(name, kwargs={"public_id": appointment.public_id})


# The purposes of messages to participants that offer their page for cancelling or asking for another time.
_SELF_SERVICE_PURPOSES = (Purpose.INVITATION, Purpose.UPDATE, Purpose.REMINDER)


def _self_service(notification: Notification, participant: Participant) -> tuple[str, str, str]:
    """The link to the client's own page, the sentence before it and its label, while the page offers
    something."""
    appointment = notification.appointment
    organisation = appointment.organisation
    deadline = organisation.client_change_deadline(appointment.start)
    if (
        notification.purpose not in _SELF_SERVICE_PURPOSES
        or not organisation.clients_may_change
        or appointment.is_cancelled
        or timezone.now() >= deadline
    ):
        return "", "", ""
    others = appointment.participants.active().exclude(pk=participant.pk).exists()
    until = formats.date_format(_local(deadline, organisation), "l j F H:i")
    if others:
        text = _("Can you not come at this time? Until %(deadline)s you can ask for another time here:")
        label = _("Ask for another time")
    else:
        text = _("Can you not come at this time? Until %(deadline)s you can cancel or ask for another time here:")
        label = _("Cancel or ask for another time")
    return participant.self_service_url, text % {"deadline": until}, label


def _notice_link(notification: Notification) -> tuple[str, str, str, str]:
    """A notice's link and its label, the client's name and note."""
    appointment = notification.appointment
    if notification.purpose == Purpose.TIME_REQUEST:
        request = notification.time_request
        client = request.participant.name if request is not None else ""
        note = request.note if request is not None else ""
        return consult_url(appointment, "scheduling:appointment-edit"), _("Change the consult"), client, note
    by = appointment.cancelled_by_participant
    return consult_url(appointment), _("Open the consult"), by.name if by is not None else "", ""


def build_content(notification: Notification) -> Content:
    appointment = notification.appointment
    organisation = appointment.organisation
    for_agent = notification.user_id is not None
    recipient = notification.user if for_agent else notification.participant
    assert recipient is not None  # one of the two, never neither (notification_one_recipient)
    language = recipient.language
    with translation.override(language):
        start = _local(appointment.start, organisation)
        end = _local(appointment.end, organisation)
        values = {
            "date": formats.date_format(start, "l j F Y"),
            # A format per language: Dutch writes "ma 23 nov", English "Mon 23 Nov".
            "date_short": formats.date_format(start, pgettext("short date in SMS, Django date format", "D j M")),
            "time": formats.time_format(start, "H:i"),
            "end_time": formats.time_format(end, "H:i"),
        }
        agent_name = appointment.agent.full_name
        recipient_name = notification.recipient_name
        takes_place = not appointment.is_cancelled and notification.purpose not in (
            Purpose.CANCELLATION,
            Purpose.SERIES_CANCELLATION,
        )
        client_name = client_note = self_service_link = self_service_text = self_service_label = ""
        if isinstance(recipient, Participant):
            link, link_label = recipient.join_url, _("Open the waiting room")
            sms_link = recipient.short_join_url
            self_service_link, self_service_text, self_service_label = _self_service(notification, recipient)
        elif notification.purpose in NOTICE_PURPOSES:
            link, link_label, client_name, client_note = _notice_link(notification)
            sms_link = link
            takes_place = True  # the link leads to the consult's page, which shows it even when cancelled
        else:
            link, link_label = agenda_url(appointment), _("Open your agenda")
            sms_link = link
        sessions = []
        if notification.purpose in SERIES_PURPOSES:
            with_links = notification.purpose != Purpose.SERIES_CANCELLATION
            sessions = _listed(affected_sessions(notification), organisation, with_links)
        headline, intro = wording(
            purpose=notification.purpose,
            audience=Audience.AGENT if for_agent else Audience.PARTICIPANT,
            consult_cancelled=appointment.is_cancelled,
        ).render(
            {
                "agent": agent_name,
                "subject": appointment.subject,
                **values,
                "count": len(sessions),
                "client": client_name,
            }
        )
        custom_text = ""
        if notification.purpose in (Purpose.INVITATION, Purpose.SERIES) and not for_agent:
            template = organisation.invitation_text(language)
            if template:
                custom_text = inner_text(
                    fill_placeholders(
                        template,
                        {"client_name": recipient_name, "agent_name": agent_name, "link": link, **values},
                    )
                )
        show_message = not for_agent and notification.purpose in (
            Purpose.INVITATION,
            Purpose.UPDATE,
            Purpose.SERIES,
            Purpose.SERIES_UPDATE,
        )
        return Content(
            purpose=notification.purpose,
            language=language,
            for_agent=for_agent,
            organisation=organisation,
            recipient_name=recipient_name,
            agent_name=agent_name,
            consult_subject=appointment.subject,
            link=link,
            link_label=link_label,
            headline=headline,
            intro=intro,
            custom_text=custom_text,
            message=inner_text(appointment.message_for(language)) if show_message else "",
            participants=[p.name for p in appointment.participants.active()] if for_agent else [],
            logo_url=f"{settings.SITE_URL}{organisation.logo.url}" if organisation.logo else "",
            link_works=takes_place,
            sessions=sessions,
            sessions_label=sessions_label(notification.purpose),
            sms_link=sms_link,
            client_name=client_name,
            client_note=client_note,
            self_service_link=self_service_link,
            self_service_text=self_service_text,
            self_service_label=self_service_label,
            **values,
        )
