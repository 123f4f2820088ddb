"""Erasing where messages to a person went and why they failed; privacy decides when and for whom.

The outbox rows stay with their purpose and status (the figures count them); messages still waiting to go
are cancelled, as nobody may be written to at an address that is no longer kept.
"""

from collections.abc import Collection
from datetime import datetime

from .models import PENDING_STATUSES, DeliveryStatus, Notification, Reason


def erase_messages_to(*, participant_ids: Collection[int], now: datetime) -> None:
    Notification.objects.filter(participant_id__in=participant_ids, status__in=PENDING_STATUSES).update(
        status=DeliveryStatus.CANCELLED, reason=Reason.ERASED, updated_at=now
    )
    Notification.objects.filter(participant_id__in=participant_ids).update(to="", last_error="", updated_at=now)
