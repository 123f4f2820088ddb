"""Erasing the texts sent to waiting clients, which may say something about them; privacy decides when."""

from collections.abc import Collection

from django.db.models import QuerySet

from scheduling.models import Appointment

from .models import WaitingMessage


def erase_waiting_messages(*, appointment_ids: Collection[int] | QuerySet[Appointment]) -> None:
    """Blank the texts of the messages to these consults' waiting rooms; the rows (and times) stay."""
    WaitingMessage.objects.filter(appointment_id__in=appointment_ids).exclude(text="").update(text="")
