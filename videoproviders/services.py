"""The room lifecycle, and the only writers of video rooms.

A room is planned when a consult is booked and made by a task soon after; pressing Online consult makes
it at the latest. It is removed at the provider when the consult is cancelled, moved to another time or
agent, or over. Like the outbox, the database is the schedule: a room row says when it is due, tasks
claim it with a conditional UPDATE, and a periodic sweep picks up what a lost task left behind.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.models import User
from config.queueing import enqueue
from scheduling.models import MINIMUM_LINK_LIFETIME, Appointment, Participant, Status

from .base import Room, RoomRequest, VideoProviderError
from .models import LIVE_STATUSES, RoomEvent, RoomStatus, ServiceAccount, VideoRoom
from .registry import providers
from .selectors import ResolvedAccount, account_for_room, live_room, resolve_account

# Waits between attempts at a temporary failure; a provider's Retry-After may ask for longer.
BACKOFF = [timedelta(seconds=s) for s in (30, 60, 120, 300, 600)]
# A room stays this long after its consult's links expire, as Whereby keeps host rights an hour longer.
CLEANUP_GRACE = timedelta(hours=1)
SWEEP_BATCH = 500


def _lease() -> timedelta:
    return timedelta(seconds=settings.VIDEO_ROOM_LEASE_SECONDS)


def _queue(task_name: str, ids: list[int]) -> None:
    if not ids:
        return

    def send() -> None:
        from . import tasks

        # Rooms not queued wait for the sweep (their next attempt is due after the lease), or are made when
        # the agent presses Online consult.
        enqueue({"create": tasks.create_room_task, "delete": tasks.delete_room_task}[task_name], ids)

    transaction.on_commit(send)


# --- planning ------------------------------------------------------------------------------------------


def plan_room(*, appointment: Appointment) -> VideoRoom:
    """A room to be made for the consult by a task, right after the booking commits."""
    # The lease keeps the sweep from queuing it a second time while the first task waits in the queue.
    room = VideoRoom.objects.create(appointment=appointment, next_attempt_at=timezone.now() + _lease())
    _queue("create", [room.pk])
    return room


def plan_rooms(*, appointments: list[Appointment]) -> list[VideoRoom]:
    """Rooms for the occurrences of a series, in one insert. Each is made VIDEO_ROOM_LEAD_HOURS before
    its consult by the sweep rather than all at once: a year of weekly consults would otherwise spend a
    Whereby rate limit, and rooms made long ahead only wait."""
    now = timezone.now()
    lead = timedelta(hours=settings.VIDEO_ROOM_LEAD_HOURS)
    rooms = VideoRoom.objects.bulk_create(
        VideoRoom(appointment=appointment, next_attempt_at=max(appointment.start - lead, now + _lease()))
        for appointment in appointments
    )
    _queue(
        "create",
        [room.pk for room, appointment in zip(rooms, appointments, strict=True) if appointment.start - lead <= now],
    )
    return rooms


def retire_rooms(*, appointment: Appointment) -> None:
    """Take the consult's room out of use; one the provider keeps is deleted there by a task."""
    now = timezone.now()
    rooms = VideoRoom.objects.filter(appointment=appointment, status__in=LIVE_STATUSES)
    # Never made at the provider, so there is nothing to delete there.
    rooms.filter(status__in=[RoomStatus.PENDING, RoomStatus.FAILED]).update(
        status=RoomStatus.DELETED, retired_at=now, deleted_at=now
    )
    to_delete = [
        room.pk
        for room in rooms.filter(status__in=[RoomStatus.READY, RoomStatus.CREATING])
        if _retire(room, now=now) == RoomStatus.DELETING
    ]
    _queue("delete", to_delete)


def _retire(room: VideoRoom, *, now: datetime) -> str | None:
    """Retire one room from the state it was read in; returns the state it was given (None: already gone).

    Its creating task may move it on between that read and the update (CREATING to READY once the provider
    answered, or to PENDING or FAILED): the update then changes nothing, and the room is taken again in its
    new state. Left live, it would refuse the consult's next room (one live room per consult) and fail the
    change that retires it."""
    status: str | None = room.status
    keeps_rooms = room.provider in providers and providers[room.provider].keeps_rooms
    # A room changes state a few times at most while it is made; more would be a bug, not a race.
    changes: dict[str, object]
    for _attempt in range(5):
        if status in (RoomStatus.READY, RoomStatus.CREATING) and keeps_rooms:
            # A room still being made is deleted by its creating task once the provider has answered.
            changes = {
                "status": RoomStatus.DELETING,
                "retired_at": now,
                "next_attempt_at": now + _lease(),
                "attempts": 0,
            }
        elif status in (RoomStatus.READY, RoomStatus.CREATING):
            changes = {"status": RoomStatus.DELETED, "retired_at": now, "deleted_at": now, "host_url": ""}
        elif status in (RoomStatus.PENDING, RoomStatus.FAILED):
            # Never made at the provider, so there is nothing to delete there.
            changes = {"status": RoomStatus.DELETED, "retired_at": now, "deleted_at": now}
        else:
            return None
        if VideoRoom.objects.filter(pk=room.pk, status=status).update(**changes):
            return str(changes["status"])
        status = VideoRoom.objects.filter(pk=room.pk).values_list("status", flat=True).first()
    raise RuntimeError(f"Video room {room.pk} kept changing state while it was being retired.")


def replan_room(*, appointment: Appointment) -> VideoRoom:
    """A new room for a consult whose time or agent changed: the old one may not fit (Whereby's end date,
    another agent's account), and a new one costs nothing the participants notice before they enter."""
    retire_rooms(appointment=appointment)
    return plan_room(appointment=appointment)


def accounts_changed(*, agents: Iterable[User]) -> int:
    """After an admin changed video accounts: upcoming consults whose room was made with another account,
    or could not be made, get a new room. Returns how many."""
    now = timezone.now()
    replanned = 0
    for agent in agents:
        key = resolve_account(agent=agent).key
        upcoming = Appointment.objects.filter(agent=agent, status=Status.SCHEDULED, end__gt=now, started_at=None)
        rooms = VideoRoom.objects.filter(appointment__in=upcoming, status__in=LIVE_STATUSES).select_related(
            "appointment"
        )
        for room in rooms:
            if room.status == RoomStatus.FAILED or (room.status == RoomStatus.READY and room.account_key != key):
                replan_room(appointment=room.appointment)
                replanned += 1
    return replanned


# --- making rooms --------------------------------------------------------------------------------------


def _claim(room_id: int, *, statuses: Iterable[str]) -> bool:
    return bool(
        VideoRoom.objects.filter(pk=room_id, status__in=list(statuses)).update(
            status=RoomStatus.CREATING, claimed_at=timezone.now(), attempts=F("attempts") + 1
        )
    )


def _room_request(appointment: Appointment) -> RoomRequest:
    return RoomRequest(
        reference=str(appointment.public_id),
        start=appointment.start,
        end=appointment.end,
        expires_at=appointment.link_expires_at,
        participant_count=appointment.participants.active().count(),
        host_name=appointment.agent.full_name,
    )


def _backoff(attempts: int, retry_after: float | None) -> timedelta:
    wait = BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]
    return max(wait, timedelta(seconds=retry_after or 0))


def _record_failure(room: VideoRoom, error: VideoProviderError) -> None:
    room.refresh_from_db(fields=["attempts"])
    changes: dict[str, object]
    if error.permanent:
        changes = {"status": RoomStatus.FAILED, "next_attempt_at": None}
    else:
        next_at = timezone.now() + _backoff(room.attempts, error.retry_after)
        changes = {"status": RoomStatus.PENDING, "next_attempt_at": next_at}
    VideoRoom.objects.filter(pk=room.pk, status=RoomStatus.CREATING).update(
        last_error=error.message, claimed_at=None, **changes
    )


def _make(room: VideoRoom, resolved: ResolvedAccount) -> VideoRoom:
    """Make a claimed room at the provider and record the outcome; raises VideoProviderError."""
    appointment = room.appointment
    if resolved.problem or resolved.account is None:
        error = VideoProviderError(resolved.problem or _("no video account is linked to the agent"), permanent=True)
        _record_failure(room, error)
        raise error
    account = resolved.account
    # Recorded before the call, so that a cancellation meanwhile knows where to delete the room.
    VideoRoom.objects.filter(pk=room.pk).update(
        provider=account.provider, service_account_id=resolved.service_account_id, account_key=resolved.key
    )
    provider = providers[account.provider]
    try:
        made = provider.create_room(request=_room_request(appointment), account=account)
    except VideoProviderError as error:
        _record_failure(room, error)
        raise
    written = VideoRoom.objects.filter(pk=room.pk, status=RoomStatus.CREATING).update(
        status=RoomStatus.READY,
        provider_room_id=made.provider_room_id,
        host_url=made.host_url,
        participant_url=made.participant_url,
        expires_at=made.expires_at,
        ready_at=timezone.now(),
        last_error="",
        next_attempt_at=None,
        claimed_at=None,
    )
    if not written:
        # The consult was cancelled or moved while the provider made the room: remove it again.
        _discard(room, made)
        raise VideoProviderError(_("The consult changed while its video room was being made."))
    room.refresh_from_db()
    return room


def _discard(room: VideoRoom, made: Room) -> None:
    handed_over = VideoRoom.objects.filter(pk=room.pk, status=RoomStatus.DELETING, provider_room_id="").update(
        provider_room_id=made.provider_room_id, participant_url=made.participant_url
    )
    if handed_over:
        _queue("delete", [room.pk])
    elif room.provider in providers and providers[room.provider].keeps_rooms:
        room.refresh_from_db()
        account = account_for_room(room=room)
        providers[room.provider].delete_room(provider_room_id=made.provider_room_id, account=account)


def create_room(*, room_id: int) -> VideoRoom | None:
    """The task's side: make a planned room if nobody else is making it. Failures are recorded on the row."""
    if not _claim(room_id, statuses=[RoomStatus.PENDING]):
        return None
    room = VideoRoom.objects.select_related("appointment__agent").get(pk=room_id)
    if room.appointment.link_expires_at <= timezone.now():
        VideoRoom.objects.filter(pk=room_id).update(status=RoomStatus.DELETED, retired_at=timezone.now())
        return None
    try:
        return _make(room, resolve_account(agent=room.appointment.agent))
    except VideoProviderError:
        return None


def room_for_start(*, appointment: Appointment) -> VideoRoom:
    """The consult's room, made now if the task has not made it yet: for the agent pressing Online consult.

    Raises VideoProviderError with a message for the agent when the room cannot be had.
    """
    resolved = resolve_account(agent=appointment.agent)
    if resolved.problem:
        raise VideoProviderError(resolved.problem, permanent=True)
    with transaction.atomic():
        room = live_room(appointment_id=appointment.pk)
        if room is not None and room.status == RoomStatus.READY:
            if room.account_key == resolved.key:
                return room
            room = replan_room(appointment=appointment)
        elif room is None:
            room = plan_room(appointment=appointment)
        stale = timezone.now() - _lease()
        claimed = _claim(room.pk, statuses=[RoomStatus.PENDING, RoomStatus.FAILED]) or bool(
            VideoRoom.objects.filter(pk=room.pk, status=RoomStatus.CREATING, claimed_at__lt=stale).update(
                claimed_at=timezone.now(), attempts=F("attempts") + 1
            )
        )
    if not claimed:
        raise VideoProviderError(_("The video room is being made right now. Try again in a few seconds."))
    room = VideoRoom.objects.select_related("appointment__agent").get(pk=room.pk)
    return _make(room, resolved)


@dataclass(frozen=True)
class ParticipantEntry:
    url: str
    # The provider lets the room be shown inside the waiting page (an iframe) rather than instead of it.
    embed: bool
    # The call happens on the waiting page itself (built-in rooms): no URL to go to, the agent lets them in.
    in_page: bool = False


def participant_entry(*, participant: Participant) -> ParticipantEntry | None:
    """How this participant enters the consult's room: the URL with their name and language, and whether
    it may be embedded; None while the room is not ready. Never the host URL."""
    room = VideoRoom.objects.filter(appointment_id=participant.appointment_id, status=RoomStatus.READY).first()
    # A ready room always has its end: both are written together when the provider made it.
    if room is None or room.provider not in providers or room.expires_at is None:
        return None
    provider = providers[room.provider]
    made = Room(
        provider_room_id=room.provider_room_id,
        host_url="",
        participant_url=room.participant_url,
        expires_at=room.expires_at,
    )
    url = provider.participant_url(
        room=made, account=account_for_room(room=room), display_name=participant.name, language=participant.language
    )
    return ParticipantEntry(url=url, embed=provider.can_embed(room.participant_url), in_page=provider.in_page)


def participant_room_url(*, participant: Participant) -> str | None:
    entry = participant_entry(participant=participant)
    return entry.url if entry else None


# --- removing rooms ------------------------------------------------------------------------------------


def delete_room(*, room_id: int) -> None:
    """The task's side: delete a retired room at the provider (idempotent there), and forget its host URL."""
    room = VideoRoom.objects.select_related("service_account").filter(pk=room_id, status=RoomStatus.DELETING).first()
    if room is None:
        return
    now = timezone.now()
    done = {"status": RoomStatus.DELETED, "deleted_at": now, "host_url": "", "next_attempt_at": None}
    if not room.provider_room_id or room.provider not in providers:
        VideoRoom.objects.filter(pk=room_id, status=RoomStatus.DELETING).update(**done)
        return
    account = account_for_room(room=room)
    try:
        providers[room.provider].delete_room(provider_room_id=room.provider_room_id, account=account)
    except VideoProviderError as error:
        if error.permanent:
            message = _("Not removed at the video service (%(error)s); it lapses by itself an hour after it ends.")
            VideoRoom.objects.filter(pk=room_id).update(last_error=message % {"error": error.message}, **done)
        else:
            VideoRoom.objects.filter(pk=room_id).update(
                attempts=F("attempts") + 1,
                last_error=error.message,
                next_attempt_at=now + _backoff(room.attempts + 1, error.retry_after),
            )
        return
    VideoRoom.objects.filter(pk=room_id, status=RoomStatus.DELETING).update(last_error="", **done)


# --- the sweep -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    created: int
    deleted: int
    recovered: int
    expired: int


def _due(status: str, now: datetime) -> list[int]:
    ids = list(
        VideoRoom.objects.filter(status=status, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    VideoRoom.objects.filter(pk__in=ids).update(next_attempt_at=now + _lease())
    return ids


@transaction.atomic
def sweep() -> SweepResult:
    """Queue due creations and deletions, recover rooms a dead worker left half made, retire rooms whose
    consult is over. Run by beat every VIDEO_ROOM_SWEEP_SECONDS."""
    now = timezone.now()
    # A worker that died while the provider answered: try again (an orphan room at the provider lapses).
    recovered = VideoRoom.objects.filter(status=RoomStatus.CREATING, claimed_at__lt=now - _lease()).update(
        status=RoomStatus.PENDING, claimed_at=None, next_attempt_at=now
    )
    # Over: the links expired longer than the grace ago (the link expiry is max(end, start + 1 h)).
    cutoff = now - CLEANUP_GRACE
    over = (
        Appointment.objects.filter(
            video_rooms__status__in=LIVE_STATUSES, end__lt=cutoff, start__lt=cutoff - MINIMUM_LINK_LIFETIME
        )
        .distinct()
        .order_by("end")[:SWEEP_BATCH]
    )
    expired = 0
    for appointment in over:
        retire_rooms(appointment=appointment)
        expired += 1
    created = _due(RoomStatus.PENDING, now)
    deleted = _due(RoomStatus.DELETING, now)
    _queue("create", created)
    _queue("delete", deleted)
    return SweepResult(created=len(created), deleted=len(deleted), recovered=recovered, expired=expired)


# --- events from the provider --------------------------------------------------------------------------

# The room events recorded on a consult; others (recordings, transcriptions) are acknowledged and dropped.
ROOM_EVENT_TYPES = {
    "room.client.joined",
    "room.client.left",
    "room.client.knocked",
    "room.client.knockCancelled",
    "room.session.started",
    "room.session.ended",
}


def record_whereby_event(*, service_account: ServiceAccount, event: dict) -> RoomEvent | None:
    """Record a verified Whereby event on the consult whose room it concerns, once per event id."""
    event_type = event.get("type")
    data = event["data"] if isinstance(event.get("data"), dict) else {}
    event_id = str(event.get("id") or "")
    if event_type not in ROOM_EVENT_TYPES or not event_id or not data.get("meetingId"):
        return None
    room = (
        VideoRoom.objects.filter(
            provider="whereby", provider_room_id=str(data["meetingId"]), service_account=service_account
        )
        .order_by("-pk")
        .first()
    )
    if room is None:
        return None
    occurred_at = parse_datetime(str(event.get("createdAt") or "")) or timezone.now()
    recorded, created = RoomEvent.objects.get_or_create(
        event_id=f"whereby:{event_id}",
        defaults={
            "room": room,
            "type": event_type,
            "occurred_at": occurred_at,
            "role": str(data.get("roleName") or "")[:32],
            "display_name": str(data.get("displayName") or "")[:200],
        },
    )
    return recorded if created else None
