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
from scheduling.models import Appointment, Participant, Status

from .models import Notification, Purpose
from .placeholders import fill_placeholders


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
    intro: str
    # The admin's own invitation text, filled in; only in invitations to participants.
    custom_text: str
    # The assistant's message from the booking form; participants see it in invitations and changes.
    message: str
    participants: list[str]
    logo_url: str
    # True when the consult still takes place for this recipient: the link then works.
    link_works: bool
    # A series invitation lists every session: (date, time, the recipient's link for it or "").
    sessions: list[tuple[str, str, str]] = field(default_factory=list)


def _sessions(notification: Notification, organisation: Organisation) -> list[tuple[str, str, str]]:
    """The series' sessions still planned, each with this participant's own link (agents get none)."""
    series_id = notification.appointment.series_id
    if notification.participant_id is None:
        occurrences = [
            (a, "") for a in Appointment.objects.filter(series_id=series_id, status=Status.SCHEDULED).order_by("start")
        ]
    else:
        rows = (
            Participant.objects.active()
            .filter(
                appointment__series_id=series_id,
                appointment__status=Status.SCHEDULED,
                position=notification.participant.position,
            )
            .select_related("appointment")
            .order_by("appointment__start")
        )
        occurrences = [(p.appointment, p.join_url) for p in rows]
    return [
        (
            formats.date_format(_local(a.start, organisation), "l j F Y"),
            formats.time_format(_local(a.start, organisation), "H:i"),
            link,
        )
        for a, link in occurrences
    ]


def agenda_url(appointment: Appointment) -> str:
    day = timezone.localdate(appointment.start, timezone=appointment.organisation.tzinfo)
    return f"{settings.SITE_URL}{reverse('scheduling:agenda')}?{urlencode({'date': day.isoformat()})}"


def _local(moment: datetime, organisation: Organisation) -> datetime:
    return timezone.localtime(moment, timezone=organisation.tzinfo)


def build_content(notification: Notification) -> Content:
    appointment = notification.appointment
    organisation = appointment.organisation
    for_agent = notification.user_id is not None
    language = notification.user.language if for_agent else notification.participant.language
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
        takes_place = not appointment.is_cancelled and notification.purpose != Purpose.CANCELLATION
        if for_agent:
            link, link_label = agenda_url(appointment), _("Open your agenda")
        else:
            link, link_label = notification.participant.join_url, _("Open the waiting room")
        sessions = _sessions(notification, organisation) if notification.purpose == Purpose.SERIES else []
        headline, intro = _headline_and_intro(notification, appointment, agent_name, values | {"count": len(sessions)})
        custom_text = ""
        if notification.purpose in (Purpose.INVITATION, Purpose.SERIES) and not for_agent:
            template = organisation.invitation_text(language)
            if template:
                custom_text = fill_placeholders(
                    template,
                    {"client_name": recipient_name, "agent_name": agent_name, "link": link, **values},
                )
        show_message = not for_agent and notification.purpose in (Purpose.INVITATION, Purpose.UPDATE, Purpose.SERIES)
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
            message=appointment.message if show_message else "",
            participants=[p.name for p in appointment.participants.active()] if for_agent else [],
            logo_url=f"{settings.SITE_URL}{organisation.logo.url}" if organisation.logo else "",
            link_works=takes_place,
            sessions=sessions,
            **values,
        )


def _headline_and_intro(
    notification: Notification, appointment: Appointment, agent_name: str, values: dict[str, str]
) -> tuple[str, str]:
    when = {"agent": agent_name, "subject": appointment.subject, **values}
    purpose = notification.purpose
    if purpose == Purpose.SERIES:
        if notification.user_id is not None:
            return (
                _("New series: %(count)d consults from %(date)s") % when,
                _(
                    "A series of %(count)d video consults has been booked for you, the first on %(date)s from "
                    "%(time)s to %(end_time)s: %(subject)s."
                )
                % when,
            )
        return (
            _("Invitation: %(count)d video consults from %(date)s") % when,
            _(
                "%(agent)s will see you in a series of %(count)d video consults, the first on %(date)s at "
                "%(time)s. Each has its own personal link, listed below; before each you get a reminder with it. "
                "You need no account and no app."
            )
            % when,
        )
    if notification.user_id is not None:
        if purpose == Purpose.INVITATION:
            return (
                _("New consult on %(date)s at %(time)s") % when,
                _("A video consult has been booked for you on %(date)s from %(time)s to %(end_time)s: %(subject)s.")
                % when,
            )
        if purpose == Purpose.UPDATE:
            return (
                _("Consult changed: %(date)s at %(time)s") % when,
                _("Your consult '%(subject)s' has changed. It is now on %(date)s from %(time)s to %(end_time)s.")
                % when,
            )
        if appointment.is_cancelled:
            return (
                _("Consult cancelled: %(date)s at %(time)s") % when,
                _("Your consult '%(subject)s' on %(date)s at %(time)s has been cancelled.") % when,
            )
        return (
            _("Consult handed over: %(date)s at %(time)s") % when,
            _(
                "The consult '%(subject)s' on %(date)s at %(time)s is now with %(agent)s; "
                "it is no longer in your agenda."
            )
            % when,
        )
    if purpose == Purpose.INVITATION:
        return (
            _("Invitation: video consult on %(date)s at %(time)s") % when,
            _(
                "%(agent)s will see you in a video consult on %(date)s at %(time)s. Open your personal link a few "
                "minutes before the start; you need no account and no app."
            )
            % when,
        )
    if purpose == Purpose.UPDATE:
        return (
            _("Changed: video consult on %(date)s at %(time)s") % when,
            _(
                "Your video consult has changed. It is now on %(date)s at %(time)s with %(agent)s. "
                "Your link stays the same."
            )
            % when,
        )
    if purpose == Purpose.REMINDER:
        return (
            _("Reminder: video consult on %(date)s at %(time)s") % when,
            _("This is a reminder of your video consult with %(agent)s on %(date)s at %(time)s.") % when,
        )
    if appointment.is_cancelled:
        return (
            _("Cancelled: video consult on %(date)s at %(time)s") % when,
            _(
                "Your video consult with %(agent)s on %(date)s at %(time)s has been cancelled. "
                "Your link no longer works."
            )
            % when,
        )
    return (
        _("Cancelled: video consult on %(date)s at %(time)s") % when,
        _("You are no longer expected at the video consult on %(date)s at %(time)s. Your link no longer works.") % when,
    )
