"""Built-in video calls: who is in the call, who may come in, and passing signalling between their pages.

The waiting room is the lobby. When the agent starts a consult with a built-in room, the clients who are
waiting are let in at once; a client who arrives later knocks (is waiting while the consult runs) and the
agent admits them, or takes them out again. A page is in the call while its call stream is open
(`join` ... `leave`); that is recorded as attendance, and a call nobody has been in for a while ends.

Signalling (WebRTC offers, answers, network candidates) is relayed from one page in the call to another,
checked like every other request, limited in size and rate, and never stored.
"""

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from accounts.models import User
from config.ratelimit import count
from scheduling import lifecycle
from scheduling.models import Appointment, Participant
from videoproviders.builtin import BuiltinProvider
from videoproviders.models import RoomStatus, VideoRoom
from videoproviders.registry import providers

from .events import announce, call_channel, consult_channel, peer_channel, publish, send_now, team_channel
from .models import CallAttendance, Presence

HOST = "host"
SIGNAL_KINDS = ("description", "candidate")
_SESSION = re.compile(r"[A-Za-z0-9-]{8,40}")
_PEER = re.compile(r"host|p[0-9a-f]{12}")


def peer_id(participant: Participant | None) -> str:
    """A person's name in the call's signalling: the agent is "host"; a participant gets an id derived from
    their link, so a reloaded page is the same person and nobody learns the link or a database id."""
    if participant is None:
        return HOST
    return "p" + salted_hmac("waitingroom.calls.peer", participant.token).hexdigest()[:12]


def valid_session(session: str) -> bool:
    return bool(_SESSION.fullmatch(session or ""))


# --- which consults have a built-in call ----------------------------------------------------------------


def call_provider(*, appointment: Appointment) -> BuiltinProvider | None:
    """The consult's built-in room provider while its room is ready; None for other providers."""
    room = VideoRoom.objects.filter(appointment_id=appointment.pk, status=RoomStatus.READY).first()
    if room is None or room.provider not in providers:
        return None
    provider = providers[room.provider]
    # The built-in rooms are the one provider whose calls take place on our pages.
    return provider if isinstance(provider, BuiltinProvider) else None


def _require_running(appointment: Appointment) -> None:
    if appointment.is_cancelled or not appointment.is_active:
        raise PermissionDenied(_("This consult is not in progress."))


# --- letting people in and out --------------------------------------------------------------------------


def admit_waiting(*, appointment: Appointment, now: datetime | None = None) -> int:
    """Online consult: the clients waiting at that moment are in the call without knocking."""
    from .services import is_waiting

    now = now or timezone.now()
    waiting = [
        presence.pk
        for presence in Presence.objects.filter(participant__appointment=appointment, participant__removed_at=None)
        if is_waiting(presence, now) and presence.removed_at is None
    ]
    return Presence.objects.filter(pk__in=waiting).update(admitted_at=now)


def _agent_only(appointment: Appointment, user: User) -> None:
    if appointment.agent_id != user.pk:
        raise PermissionDenied(_("Only the consult's agent can lead its call."))


def admit(*, appointment: Appointment, user: User, participant: Participant) -> None:
    """The agent lets a knocking client in (or back in after taking them out)."""
    _agent_only(appointment, user)
    _require_running(appointment)
    now = timezone.now()
    presence, _created = Presence.objects.get_or_create(participant=participant, defaults={"first_opened_at": now})
    Presence.objects.filter(pk=presence.pk).update(admitted_at=now, removed_at=None)
    publish(consult_channel(appointment.public_id), "admitted")
    publish(team_channel(appointment.team_id), "presence")


def remove(*, appointment: Appointment, user: User, participant: Participant) -> None:
    """The agent takes a client out of the call: their page leaves it and may not come back in unless the
    agent admits them again. The others' pages drop their connections to them."""
    _agent_only(appointment, user)
    now = timezone.now()
    Presence.objects.filter(participant=participant).update(removed_at=now, admitted_at=None)
    CallAttendance.objects.filter(appointment=appointment, participant=participant, left_at=None).update(left_at=now)
    publish(consult_channel(appointment.public_id), "removed")
    publish(call_channel(appointment.public_id), "peers")
    publish(team_channel(appointment.team_id), "presence")


def may_join(*, appointment: Appointment, participant: Participant | None, user: User | None = None) -> bool:
    """The agent of a running consult; a participant the agent let in and did not take out again."""
    if appointment.is_cancelled or not appointment.is_active:
        return False
    if participant is None:
        return user is not None and appointment.agent_id == user.pk
    presence = Presence.objects.filter(participant=participant).first()
    return bool(presence and presence.admitted_at and presence.removed_at is None and participant.removed_at is None)


# --- being in the call -----------------------------------------------------------------------------------


class CallFull(Exception):
    """The room holds no more people (a mesh of at most BuiltinProvider.max_people)."""


def join(*, appointment: Appointment, participant: Participant | None, session: str) -> CallAttendance:
    """A page opened its call stream. A reload replaces the same person's earlier page."""
    now = timezone.now()
    limit = BuiltinProvider.max_people
    with transaction.atomic():
        # One at a time per consult, so two late joiners cannot both take the last place.
        list(Appointment.objects.select_for_update().filter(pk=appointment.pk).values_list("pk"))
        others = CallAttendance.objects.filter(appointment=appointment, left_at=None).exclude(session=session)
        same_person = others.filter(participant=participant) if participant else others.filter(participant=None)
        same_person.update(left_at=now)
        people = {row for row in others.exclude(pk__in=same_person.values("pk")).values_list("participant_id")}
        if len(people) >= limit:
            raise CallFull()
        attendance, created = CallAttendance.objects.get_or_create(
            appointment=appointment,
            session=session,
            defaults={"participant": participant, "joined_at": now, "last_seen_at": now},
        )
        if not created:
            # The same page's stream came back after a network blip.
            CallAttendance.objects.filter(pk=attendance.pk).update(left_at=None, last_seen_at=now)
    publish(call_channel(appointment.public_id), "peers")
    return attendance


def still_here(*, attendance_id: int) -> None:
    CallAttendance.objects.filter(pk=attendance_id, left_at=None).update(last_seen_at=timezone.now())


def leave(*, attendance_id: int) -> None:
    attendance = CallAttendance.objects.select_related("appointment").filter(pk=attendance_id).first()
    if attendance is None:
        return
    if CallAttendance.objects.filter(pk=attendance_id, left_at=None).update(left_at=timezone.now()):
        publish(call_channel(attendance.appointment.public_id), "peers")


# --- what a page in the call sees ------------------------------------------------------------------------


@dataclass(frozen=True)
class Peer:
    peer: str
    session: str
    name: str
    host: bool


def _name(row: CallAttendance, appointment: Appointment) -> str:
    return row.participant.name if row.participant else appointment.agent.full_name


def peers(*, appointment: Appointment, session: str) -> list[Peer]:
    """The other pages in the call now, in the order they joined."""
    rows = (
        CallAttendance.objects.filter(appointment=appointment, left_at=None)
        .exclude(session=session)
        .select_related("participant")
    )
    return [
        Peer(peer_id(row.participant), row.session, _name(row, appointment), row.participant is None) for row in rows
    ]


def knocking(*, appointment: Appointment) -> list[Participant]:
    """Clients waiting to come in while the consult runs (the agent sees and admits them)."""
    from .services import is_waiting

    now = timezone.now()
    result = []
    for participant in appointment.participants.active().select_related("presence"):
        presence = getattr(participant, "presence", None)
        if presence is not None and presence.admitted_at is None and is_waiting(presence, now):
            result.append(participant)
    return result


def client_state(*, participant: Participant) -> str:
    """Where a client of a running built-in call stands: "call" (let in), "removed" (taken out), or
    "knocking" (waiting for the agent to let them in)."""
    presence = Presence.objects.filter(participant=participant).first()
    if presence is not None and presence.removed_at is not None:
        return "removed"
    if presence is not None and presence.admitted_at is not None:
        return "call"
    return "knocking"


def participant_by_peer(*, appointment: Appointment, peer: str) -> Participant | None:
    for participant in appointment.participants.active():
        if peer_id(participant) == peer:
            return participant
    return None


# --- signalling -----------------------------------------------------------------------------------------


def relay_signal(*, appointment: Appointment, sender: Participant | None, session: str, body: bytes) -> None:
    """Pass one signalling message from a page in the call to another page in the same call.

    Raises PermissionDenied when the sender is not in the call (forged, expired, removed) and ValidationError
    for a message that is too large, malformed, too frequent, or for a page that is not in the call.
    Nothing is stored: the message goes to the addressee's stream and is gone.
    """
    if len(body) > settings.CALL_SIGNAL_MAX_BYTES:
        raise ValidationError("Signal too large.", code="too_large")
    if not valid_session(session):
        raise ValidationError("Unknown session.", code="session")
    in_call = CallAttendance.objects.filter(appointment=appointment, session=session, left_at=None, participant=sender)
    if not in_call.exists() or not may_join(appointment=appointment, participant=sender, user=appointment.agent):
        raise PermissionDenied(_("You are not in this call."))
    try:
        message = json.loads(body)
        to, to_session, kind, data = message["to"], message["to_session"], message["kind"], message["data"]
    except (ValueError, KeyError, TypeError):
        raise ValidationError("Malformed signal.", code="malformed")
    if kind not in SIGNAL_KINDS or not isinstance(data, dict) or not isinstance(to, str):
        raise ValidationError("Malformed signal.", code="malformed")
    if not _PEER.fullmatch(to) or not valid_session(to_session):
        raise ValidationError("Malformed signal.", code="malformed")
    window = settings.CALL_SIGNAL_WINDOW_SECONDS
    if count(f"call-signals:{appointment.pk}:{session}", window=window) > settings.CALL_SIGNALS_PER_WINDOW:
        raise ValidationError("Too many signals.", code="rate")
    target = (
        CallAttendance.objects.filter(appointment=appointment, session=to_session, left_at=None)
        .select_related("participant")
        .first()
    )
    if target is None or peer_id(target.participant) != to:
        raise ValidationError("That page is not in the call.", code="gone")
    payload = {"from": peer_id(sender), "from_session": session, "kind": kind, "data": data}
    send_now(peer_channel(appointment.public_id, to, to_session), json.dumps(payload, separators=(",", ":")))


# --- ending ---------------------------------------------------------------------------------------------


def end_empty_calls(*, now: datetime | None = None) -> int:
    """Built-in calls that nobody has been in for CALL_EMPTY_GRACE_SECONDS end by themselves, so a consult
    never stays "in progress" after everyone left. The grace covers a page being reloaded."""
    now = now or timezone.now()
    aliases = [alias for alias in settings.VIDEO_PROVIDERS if providers[alias].in_page]
    cutoff = now - timedelta(seconds=settings.CALL_EMPTY_GRACE_SECONDS)
    attendance = CallAttendance.objects.filter(appointment=OuterRef("pk"))
    running = (
        Appointment.objects.filter(started_at__lt=cutoff, ended_at__isnull=True)
        .filter(
            Exists(VideoRoom.objects.filter(appointment=OuterRef("pk"), status=RoomStatus.READY, provider__in=aliases))
        )
        .exclude(Exists(attendance.filter(left_at=None)))
        .annotate(last_left=Subquery(attendance.order_by("-left_at").values("left_at")[:1]))
        .filter(Q(last_left__isnull=True) | Q(last_left__lt=cutoff))
    )
    ended = 0
    for appointment in running:
        # last_left is annotated above; rows of the custom queryset are typed as the plain model.
        last_left = appointment.last_left  # type: ignore[attr-defined]
        if lifecycle.mark_ended(
            appointment=appointment, by=_("Video call (everyone had left)"), at=last_left or now, now=now
        ):
            announce(appointment, "ended")
            publish(call_channel(appointment.public_id), "ended")
            ended += 1
    return ended


def close_stale_attendance(*, now: datetime | None = None) -> int:
    """Pages whose stream went without a goodbye (a web process that died): they left when last seen."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.CALL_PRESENCE_TIMEOUT_SECONDS)
    rows = list(CallAttendance.objects.filter(left_at=None, last_seen_at__lt=stale).values_list("pk", "last_seen_at"))
    for pk, seen in rows:
        CallAttendance.objects.filter(pk=pk, left_at=None).update(left_at=seen)
    return len(rows)
