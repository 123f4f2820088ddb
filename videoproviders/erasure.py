"""Erasing the names the video provider reported in a room (participant joined, left); privacy decides when."""

from collections.abc import Collection

from django.db.models import QuerySet

from scheduling.models import Appointment

from .models import RoomEvent


def erase_display_names(
    *, appointment_ids: Collection[int] | QuerySet[Appointment], names: Collection[str] | None = None
) -> None:
    """Blank the names in these consults' room events; only `names` when given (one person's, as invited)."""
    events = RoomEvent.objects.filter(room__appointment_id__in=appointment_ids).exclude(display_name="")
    if names is not None:
        events = events.filter(display_name__in=names)
    events.update(display_name="")
