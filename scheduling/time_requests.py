"""The only writers of clients' requests for another time (scheduling.models.TimeRequest). A request is
open until the consult is changed or cancelled (scheduling.effects closes it then); asking again while one
is open replaces its note."""

from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction

from .models import Appointment, Participant, TimeRequest


def save_time_request(*, participant: Participant, note: str, now: datetime) -> TimeRequest:
    """The participant's open request with this note: the one they had, or a new one."""
    found = TimeRequest.objects.open().select_for_update().filter(participant=participant).first()
    if found is None:
        try:
            # A second click that arrives at the same moment meets the one-open-request constraint.
            with transaction.atomic():
                return TimeRequest.objects.create(
                    appointment_id=participant.appointment_id, participant=participant, note=note, asked_at=now
                )
        except IntegrityError:
            found = TimeRequest.objects.open().select_for_update().get(participant=participant)
    TimeRequest.objects.filter(pk=found.pk).update(note=note, asked_at=now)
    found.refresh_from_db()
    return found


def close_time_requests(*, appointments: Iterable[Appointment], now: datetime) -> None:
    """The consults were changed or cancelled: their requests are answered."""
    TimeRequest.objects.open().filter(appointment__in=[a.pk for a in appointments]).update(closed_at=now)


def erase_time_request_notes(*, participant_ids: Iterable[int]) -> None:
    """A note may say anything about the client; it goes with the rest of their data."""
    TimeRequest.objects.filter(participant_id__in=list(participant_ids)).exclude(note="").update(note="")
