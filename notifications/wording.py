"""What a message says, chosen from tables rather than by code: an email's headline and opening line, an
SMS's whole text.

A row is found by the message's purpose, who receives it and, for the two cancellation purposes only,
whether the consult itself is off: an agent's consult that goes on without them was handed over to a
colleague, a participant's was taken from them. Agents get no reminders (planning.reminder_rows), so the
table has no such row. The strings are the catalogue's msgids; they take the values by name: agent,
subject, date, time, end_time and, for series, count; notices to staff about a client's own change also
client; an SMS's also link.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import Purpose


class Audience(StrEnum):
    AGENT = "agent"
    PARTICIPANT = "participant"


# The purposes whose wording depends on whether the consult is off or goes on without the recipient.
CANCELLATION_PURPOSES = (Purpose.CANCELLATION, Purpose.SERIES_CANCELLATION)


@dataclass(frozen=True)
class Wording:
    headline: Promise
    intro: Promise

    def render(self, values: dict[str, object]) -> tuple[str, str]:
        """The headline and the intro in the active language, with the values filled in."""
        return str(self.headline) % values, str(self.intro) % values


A, P = Audience.AGENT, Audience.PARTICIPANT

# (purpose, audience, consult cancelled: True or False for the cancellation purposes, else None) → wording
WORDING: dict[tuple[str, Audience, bool | None], Wording] = {
    (Purpose.INVITATION, A, None): Wording(
        _("New consult on %(date)s at %(time)s"),
        _("A video consult has been booked for you on %(date)s from %(time)s to %(end_time)s: %(subject)s."),
    ),
    (Purpose.INVITATION, P, None): Wording(
        _("Invitation: video consult on %(date)s at %(time)s"),
        _(
            "%(agent)s will see you in a video consult on %(date)s at %(time)s. Open your personal link a few "
            "minutes before the start; you need no account and no app."
        ),
    ),
    (Purpose.UPDATE, A, None): Wording(
        _("Consult changed: %(date)s at %(time)s"),
        _("Your consult '%(subject)s' has changed. It is now on %(date)s from %(time)s to %(end_time)s."),
    ),
    (Purpose.UPDATE, P, None): Wording(
        _("Changed: video consult on %(date)s at %(time)s"),
        _(
            "Your video consult has changed. It is now on %(date)s at %(time)s with %(agent)s. "
            "Your link stays the same."
        ),
    ),
    (Purpose.REMINDER, P, None): Wording(
        _("Reminder: video consult on %(date)s at %(time)s"),
        _("This is a reminder of your video consult with %(agent)s on %(date)s at %(time)s."),
    ),
    (Purpose.CANCELLATION, A, True): Wording(
        _("Consult cancelled: %(date)s at %(time)s"),
        _("Your consult '%(subject)s' on %(date)s at %(time)s has been cancelled."),
    ),
    (Purpose.CANCELLATION, A, False): Wording(
        _("Consult handed over: %(date)s at %(time)s"),
        _("The consult '%(subject)s' on %(date)s at %(time)s is now with %(agent)s; it is no longer in your agenda."),
    ),
    (Purpose.CANCELLATION, P, True): Wording(
        _("Cancelled: video consult on %(date)s at %(time)s"),
        _("Your video consult with %(agent)s on %(date)s at %(time)s has been cancelled. Your link no longer works."),
    ),
    (Purpose.CANCELLATION, P, False): Wording(
        _("Cancelled: video consult on %(date)s at %(time)s"),
        _("You are no longer expected at the video consult on %(date)s at %(time)s. Your link no longer works."),
    ),
    (Purpose.SERIES, A, None): Wording(
        _("New series: %(count)d consults from %(date)s"),
        _(
            "A series of %(count)d video consults has been booked for you, the first on %(date)s from "
            "%(time)s to %(end_time)s: %(subject)s."
        ),
    ),
    (Purpose.SERIES, P, None): Wording(
        _("Invitation: %(count)d video consults from %(date)s"),
        _(
            "%(agent)s will see you in a series of %(count)d video consults, the first on %(date)s at "
            "%(time)s. Each has its own personal link, listed below; before each you get a reminder with it. "
            "You need no account and no app."
        ),
    ),
    (Purpose.SERIES_UPDATE, A, None): Wording(
        _("Series changed: consults from %(date)s"),
        _("The series '%(subject)s' has changed from %(date)s on. These are its sessions as now planned."),
    ),
    (Purpose.SERIES_UPDATE, P, None): Wording(
        _("Changed: your video consults from %(date)s"),
        _(
            "Your video consults with %(agent)s have changed from %(date)s on. These are the sessions as now "
            "planned, each with its own link; your reminders follow the new times."
        ),
    ),
    (Purpose.SERIES_CANCELLATION, A, True): Wording(
        _("Cancelled: %(count)d consults of a series from %(date)s"),
        _("These consults of the series '%(subject)s' have been cancelled."),
    ),
    (Purpose.SERIES_CANCELLATION, A, False): Wording(
        _("Series handed over: consults from %(date)s"),
        _("These consults of the series '%(subject)s' are now with %(agent)s; they are no longer in your agenda."),
    ),
    (Purpose.SERIES_CANCELLATION, P, True): Wording(
        _("Cancelled: %(count)d video consults from %(date)s"),
        _("These video consults with %(agent)s have been cancelled. Their links no longer work."),
    ),
    (Purpose.SERIES_CANCELLATION, P, False): Wording(
        _("Cancelled: %(count)d video consults from %(date)s"),
        _("You are no longer expected at these video consults. Their links no longer work."),
    ),
    (Purpose.CLIENT_CANCELLED, A, None): Wording(
        _("%(client)s cancelled the consult of %(date)s at %(time)s"),
        _(
            "%(client)s has cancelled the consult '%(subject)s' on %(date)s at %(time)s through their own link. "
            "Everyone has been sent a cancellation; the time is free again."
        ),
    ),
    (Purpose.TIME_REQUEST, A, None): Wording(
        _("%(client)s asks for another time than %(date)s at %(time)s"),
        _(
            "%(client)s asks for another time for the consult '%(subject)s' on %(date)s at %(time)s. The "
            "consult stays as it is until it is changed or cancelled. Their note:"
        ),
    ),
}

# The heading over the list of sessions in a series message.
SESSIONS_LABELS: dict[str, Promise] = {
    Purpose.SERIES: _("All sessions"),
    Purpose.SERIES_UPDATE: _("The sessions as now planned"),
    Purpose.SERIES_CANCELLATION: _("Sessions that no longer take place"),
}


def wording(*, purpose: str, audience: Audience, consult_cancelled: bool) -> Wording:
    """The headline and intro for this purpose and recipient; KeyError for a message the code never makes."""
    return WORDING[(purpose, audience, consult_cancelled if purpose in CANCELLATION_PURPOSES else None)]


def sessions_label(purpose: str) -> str:
    """The heading over a series message's sessions, in the active language; empty for one consult."""
    label = SESSIONS_LABELS.get(purpose)
    return str(label) if label is not None else ""


# An SMS's text by purpose (SMS go to participants only); date is the short date, link the participant's
# short link. The sender's name goes before it. Where a purpose has two texts, the second leaves the agent's
# name out: it is sent when only that keeps the message in one segment (a long sender or agent name).
SMS_BODIES: dict[str, tuple[Promise, ...]] = {
    Purpose.INVITATION: (
        _("Video consult with %(agent)s on %(date)s at %(time)s. Your link: %(link)s"),
        _("Video consult on %(date)s at %(time)s. Your link: %(link)s"),
    ),
    Purpose.UPDATE: (
        _("Your video consult has changed: %(date)s at %(time)s with %(agent)s. Link: %(link)s"),
        _("Your video consult has changed: %(date)s at %(time)s. Link: %(link)s"),
    ),
    Purpose.REMINDER: (
        _("Reminder: video consult with %(agent)s on %(date)s at %(time)s. Link: %(link)s"),
        _("Reminder: video consult on %(date)s at %(time)s. Link: %(link)s"),
    ),
    Purpose.CANCELLATION: (_("Your video consult on %(date)s at %(time)s has been cancelled."),),
    Purpose.SERIES: (
        _(
            "%(count)d video consults with %(agent)s, the first on %(date)s at %(time)s. Link: %(link)s "
            "You get a reminder with the link before each."
        ),
    ),
    Purpose.SERIES_UPDATE: (
        _(
            "Your video consults with %(agent)s have changed from %(date)s; the next is at %(time)s. "
            "Link: %(link)s You get a reminder with the link before each."
        ),
    ),
    Purpose.SERIES_CANCELLATION: (_("%(count)d video consults with %(agent)s from %(date)s have been cancelled."),),
}


def sms_bodies(purpose: str) -> list[str]:
    """The SMS texts for this purpose in the active language, the fullest first, values still to be filled in."""
    return [str(body) for body in SMS_BODIES[purpose]]
