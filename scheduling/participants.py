"""Writing a consult's participants: new rows for a booking, and a change that keeps the people who stay
(their links stay valid), adds newcomers and takes the others off."""

from datetime import datetime

from django.utils import timezone

from .models import Appointment, Channel, Participant
from .rules import ParticipantInput
from .values import ParticipantChange

_FIELDS = ["name", "channel", "language", "email", "phone", "position"]


def new_participant(appointment: Appointment, row: ParticipantInput, position: int) -> Participant:
    """An unsaved participant of `appointment` from a checked row (bulk-inserted by the caller)."""
    return Participant(
        appointment=appointment,
        name=row.name,
        channel=row.channel,
        language=row.language,
        email=row.email,
        phone=row.phone if row.channel == Channel.SMS else "",
        position=position,
    )


def replace_participants(
    *, appointment: Appointment, rows: list[ParticipantInput], now: datetime | None = None
) -> ParticipantChange:
    """Update kept participants in place, add new ones, retire the rest; what happened to whom."""
    existing = {p.pk: p for p in appointment.participants.active()}
    to_update, to_create = [], []
    edited = False
    for position, row in enumerate(rows):
        current = existing.pop(row.participant_id, None) if row.participant_id else None
        if current is None:
            to_create.append(new_participant(appointment, row, position))
            continue
        old = [getattr(current, name) for name in _FIELDS]
        current.name, current.channel, current.language = row.name, row.channel, row.language
        current.email = row.email
        current.phone = row.phone if row.channel == Channel.SMS else ""
        current.position = position
        edited = edited or old != [getattr(current, name) for name in _FIELDS]
        to_update.append(current)
    if to_update and edited:
        Participant.objects.bulk_update(to_update, _FIELDS)
    added = Participant.objects.bulk_create(to_create) if to_create else []
    removed = list(existing.values())
    if removed:
        # One time for one change, so a message can tell which sessions a person was taken off.
        removed_at = now or timezone.now()
        for participant in removed:
            participant.removed_at = removed_at
        Participant.objects.filter(pk__in=existing).update(removed_at=removed_at)
    return ParticipantChange(kept=to_update, added=added, removed=removed, edited=edited)
