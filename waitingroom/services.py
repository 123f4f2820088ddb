"""The waiting room: presence of clients, messages to them, and the consult's start and end.

Presence comes from the client's page: it checks in every few seconds while open and says goodbye when
closed. A participant is waiting while the last check-in is recent and they have not left since.
"""

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import Action, record_consults
from config.text import one_line
from scheduling import lifecycle
from scheduling.models import Appointment, Participant
from scheduling.selectors import can_manage
from videoproviders.registry import providers
from videoproviders.services import participant_entry, room_for_start
from webhooks.services import announce_client_waiting

from . import calls
from .events import announce, call_channel, publish, team_channel
from .models import Presence, WaitingMessage
from .selectors import LinkState, link_state, messages_for_client


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
    changes: dict[str, datetime | None] = {"last_seen_at": now}
    if arrived:
        changes |= {"arrived_at": now, "left_at": None}
    # Only an arrival has something to save together; the check-ins every few seconds stay one statement.
    with transaction.atomic() if arrived else contextlib.nullcontext():
        Presence.objects.filter(pk=presence.pk).update(**changes)
        if arrived:
            # The organisation's webhook receivers hear of the arrival with the presence that records it.
            announce_client_waiting(participant=participant, arrived_at=now)
    for name, value in changes.items():
        setattr(presence, name, value)
    if arrived:
        appointment = participant.appointment
        publish(team_channel(appointment.team_id), "presence")
        if appointment.is_active:
            # Arriving while the consult runs is knocking: the agent's call page shows it at once.
            publish(call_channel(appointment.public_id), "knock")
    return CheckIn(presence, arrived)


@dataclass(frozen=True)
class OpenPage:
    """A client's waiting page whose live connection is open; `page` is the page's own id."""

    participant: Participant
    page: str = ""


# Pages per UPDATE: a short statement holds SQLite's one write lock only briefly (arrivals wait behind it),
# and stays far below the number of variables a statement may have.
REFRESH_BATCH = 500


def refresh_waiting(*, pages: Sequence[OpenPage], now: datetime | None = None) -> None:
    """These pages are still open, so their clients are still waiting: what check_in does for each page,
    for many at once. One conditional UPDATE per batch marks everyone who is waiting as seen now, without
    reading them first; only a client who is not waiting any more (the check-ins lapsed while the server was
    busy, or a page of theirs said goodbye) goes through check_in, which makes them arrive again and rings."""
    now = now or timezone.now()
    for first in range(0, len(pages), REFRESH_BATCH):
        batch = pages[first : first + REFRESH_BATCH]
        ids = {open_page.participant.pk for open_page in batch}
        refreshed = Presence.objects.filter(
            participant_id__in=ids, left_at__isnull=True, last_seen_at__gte=now - presence_timeout()
        ).update(last_seen_at=now)
        if refreshed == len(ids):
            continue
        seen = set(
            Presence.objects.filter(participant_id__in=ids, last_seen_at=now).values_list("participant_id", flat=True)
        )
        for open_page in batch:
            if open_page.participant.pk not in seen:
                check_in(participant=open_page.participant, page=open_page.page)


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


def client_state(*, participant: Participant) -> dict:
    """What the client's page shows next: waiting (with the agent's messages), the room to go to, or why
    the link no longer works. Never anything about other consults, never the host URL. A client of a
    running consult with an external room counts as admitted once their page is told where it is."""
    state = link_state(participant=participant)
    if state is not LinkState.VALID:
        return {"state": state.value}
    appointment = participant.appointment
    with timezone.override(appointment.organisation.tzinfo):
        data: dict[str, object] = {
            "state": "waiting",
            "messages": [
                {"id": m.pk, "text": m.text, "time": timezone.localtime(m.sent_at).strftime("%H:%M")}
                for m in messages_for_client(appointment_id=appointment.pk)
            ],
        }
    if appointment.is_active:
        entry = participant_entry(participant=participant)
        if entry is not None and entry.in_page:
            # A built-in call: the agent let them in (or took them out); otherwise they are knocking.
            data["state"] = calls.client_state(participant=participant)
        elif entry is not None:
            admit(participant=participant)
            data |= {"state": "room", "room_url": entry.url, "embed": entry.embed}
    elif appointment.ended_at is not None:
        data["state"] = "ended"
    return data


def can_message(*, user: User, appointment: Appointment) -> bool:
    """The consult's agent, and whoever may manage the consult (the team's assistants, admins)."""
    return appointment.agent_id == user.pk or can_manage(user=user, appointment=appointment)


def send_waiting_message(*, appointment: Appointment, sender: User, text: str) -> WaitingMessage:
    """A short message to the clients of a consult, shown on their waiting page."""
    if not can_message(user=sender, appointment=appointment):
        raise PermissionDenied(_("You may not send messages to the clients of this consult."))
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
    lifecycle.check_start(appointment=appointment, user=user)
    room = room_for_start(appointment=appointment)
    now = timezone.now()
    if providers[room.provider].in_page:
        # The waiting room is the lobby: whoever waits now is in the call; later arrivals knock.
        calls.admit_waiting(appointment=appointment, now=now)
    lifecycle.mark_started(appointment=appointment, by=user, now=now)
    # The waiting clients' pages fetch their state on this event and go into the room.
    announce(appointment, "started")
    return room.host_url


def end_consult(*, appointment: Appointment, user: User) -> None:
    """The consult is over: it is no longer shown as active, and clients who come back are told so."""
    lifecycle.check_end(appointment=appointment, user=user)
    lifecycle.mark_ended(appointment=appointment, by=user)
    announce(appointment, "ended")
