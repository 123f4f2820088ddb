"""Erasing the personal data that scheduling keeps about clients; privacy decides when and for whom.

The rows stay, without anything that points at a person: participants keep their channel and language (the
figures count them), consults keep their times.
"""

from collections.abc import Collection
from datetime import datetime

from django.db.models import QuerySet

from .models import Appointment, Participant
from .time_requests import erase_time_request_notes

# Shown where a name was.
ERASED_NAME = "-"


def erase_participants(*, participant_ids: Collection[int], now: datetime) -> int:
    """Blank the name, email address and mobile number, and the notes of their requests for another time;
    returns how many participants were erased."""
    erase_time_request_notes(participant_ids=participant_ids)
    return Participant.objects.filter(pk__in=participant_ids).update(
        name=ERASED_NAME, email="", phone="", erased_at=now
    )


def remove_participants(*, participant_ids: Collection[int], now: datetime) -> None:
    """Take them out of their consults: their links stop working and they get no more messages."""
    Participant.objects.filter(pk__in=participant_ids, removed_at__isnull=True).update(removed_at=now)


def erase_invitation_texts(*, appointments: QuerySet[Appointment]) -> None:
    """The invitation's own words may say something about the client."""
    appointments.exclude(message="", uses_default_message=False).update(message="", uses_default_message=False)
