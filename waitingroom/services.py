"""The waiting room: presence of clients, messages to them, and the consult's start and end.

Presence comes from the client's page: it checks in every few seconds while open and says goodbye when
closed. A participant is waiting while the last check-in is recent and they have not left since.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import Action, record_consults
from config.text import one_line
from scheduling.models import Appointment, Participant
from scheduling.selectors import can_manage
from videoproviders.registry import providers
from videoproviders.services import room_for_start

from .events import announce, call_channel, publish, team_channel
from .models import Presence, WaitingMessage


def presence_timeout() -> timedelta:
    return timedelta(seconds=settings.WAITING_PRESENCE_TIMEOUT_SECONDS)


def is_waiting(presence: Presence | None, now: datetime | None = None) -> bool:
    if presence is None or presence.arrived_at is None or presence.last_seen_at is None:
        return False
    now = now or timezone.now()
    return presence.left_at is None and presence.last_seen_at >= now - presence_timeout()


def record_opened(*, participant: Participant, now: datetime | None = None) -> Presence:
    """The client opened their link (first time or again)."""
    presence, _created = Presence.objects.get_or_create(
        participant=participant, defaults={"first_opened_at": now or timezone.now()}
    )
    return presence


@dataclass(frozen=True)
class CheckIn:
    presence: Presence
    # True when this check-in made the participant waiting: the agent's bell rings for it.
    arrived: bool


def check_in(*, participant: Participant, page: str = "") -> CheckIn:
    """The client's page is open: they are in the waiting room. `page` is the page's own id, when it says."""
    now = timezone.now()
    presence = record_opened(participant=participant, now=now)
    if page and presence.left_at is not None and presence.left_page == page:
        # That page has gone; this request of it was on its way when it said goodbye.
        return CheckIn(presence, False)
    arrived = not is_waiting(presence, now)
    changes = {"last_seen_at": now}
    if arrived:
        changes |= {"arrived_at": now, "left_at": None}
    Presence.objects.filter(pk=presence.pk).update(**changes)
    for name, value in changes.items():
        setattr(presence, name, value)
    if arrived:
        appointment = participant.appointment
        publish(team_channel(appointment.team_id), "presence")
        if appointment.is_active:
            # Arriving while the consult runs is knocking: the agent's call page shows it at once.
            publish(call_channel(appointment.public_id), "knock")
    return CheckIn(presence, arrived)


def leave(*, participant: Participant, page: str = "") -> bool:
    """The client closed their page (or went into the room). Returns whether they were waiting."""
    left = bool(
        Presence.objects.filter(participant=participant, left_at__isnull=True, arrived_at__isnull=False).update(
            left_at=timezone.now(), left_page=page
        )
    )
    if left:
        publish(team_channel(participant.appointment.team_id), "presence")
    return left


def admit(*, participant: Participant) -> None:
    """The client is sent into the video room."""
    if Presence.objects.filter(participant=participant, admitted_at__isnull=True).update(admitted_at=timezone.now()):
        publish(team_channel(participant.appointment.team_id), "presence")


def can_message(*, user: User, appointment: Appointment) -> bool:
    """The consult's agent, and whoever may manage the consult (the team's assistants, admins)."""
    return appointment.agent_id == user.pk or can_manage(user=user, appointment=appointment)


def send_waiting_message(*, appointment: Appointment, sender: User, text: str) -> WaitingMessage:
    """A short message to the clients of a consult, shown on their waiting page."""
    if not can_message(user=sender, appointment=appointment):
        raise PermissionDenied("This user may not message the clients of this consult.")
    text = one_line(text)
    if not text:
        raise ValidationError({"text": _("Type a message first.")})
    if len(text) > WaitingMessage.MAX_LENGTH:
        raise ValidationError(
            {"text": _("A message has at most %(count)d characters.") % {"count": WaitingMessage.MAX_LENGTH}}
        )
    if appointment.is_cancelled:
        raise ValidationError({"text": _("This consult has been cancelled.")})
    message = WaitingMessage.objects.create(appointment=appointment, sender=sender, text=text)
    # The text itself stays out of the log: it may say something about the client.
    record_consults(action=Action.WAITING_MESSAGE, actor=sender, appointments=[appointment])
    announce(appointment, "message")
    return message


def start_consult(*, appointment: Appointment, user: User) -> str:
    """Open the consult's video room for its agent: make the room if needed, mark the consult active,
    and return the host URL to send the agent to. Waiting clients follow into the room from their page.

    Raises videoproviders.base.VideoProviderError when the room cannot be had; nothing is marked then.
    """
    if appointment.agent_id != user.pk:
        # The host URL makes whoever opens it the host, so it is for the consult's own agent only.
        raise PermissionDenied("Only the consult's agent may start it.")
    if appointment.is_cancelled:
        raise ValidationError(_("This consult has been cancelled."), code="cancelled")
    if timezone.now() >= appointment.link_expires_at:
        raise ValidationError(_("The links of this consult have expired, so it can no longer start."), code="expired")
    room = room_for_start(appointment=appointment)
    now = timezone.now()
    if providers[room.provider].in_page:
        # The waiting room is the lobby: whoever waits now is in the call; later arrivals knock.
        from .calls import admit_waiting

        admit_waiting(appointment=appointment, now=now)
    Appointment.objects.filter(pk=appointment.pk, started_at__isnull=True).update(started_at=now, updated_at=now)
    # Starting again after an end re-opens the consult.
    Appointment.objects.filter(pk=appointment.pk, ended_at__isnull=False).update(ended_at=None, updated_at=now)
    record_consults(action=Action.CONSULT_STARTED, actor=user, appointments=[appointment])
    # The waiting clients' pages fetch their state on this event and go into the room.
    announce(appointment, "started")
    return room.host_url


def end_consult(*, appointment: Appointment, user: User) -> None:
    """The consult is over: it is no longer shown as active, and clients who come back are told so."""
    if not can_message(user=user, appointment=appointment):
        raise PermissionDenied("This user may not end this consult.")
    if appointment.started_at is None:
        raise ValidationError(_("This consult has not started."), code="not_started")
    now = timezone.now()
    if Appointment.objects.filter(pk=appointment.pk, ended_at__isnull=True).update(ended_at=now, updated_at=now):
        record_consults(action=Action.CONSULT_ENDED, actor=user, appointments=[appointment])
    announce(appointment, "ended")
