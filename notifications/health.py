"""Health checks of the outbox for /health/ (config/health.py): is beat still scheduling the sweep, and is
anything waiting to be sent for longer than a worker would let it wait."""

import dataclasses
from datetime import timedelta

from django.conf import settings
from django.db.models import Min
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable

from .models import DeliveryStatus, Heartbeat, Notification

BEAT = "beat"
UNSENT = (DeliveryStatus.SCHEDULED, DeliveryStatus.QUEUED, DeliveryStatus.SENDING)


@dataclasses.dataclass
class BeatRecent(HealthCheck):
    """Beat schedules the outbox sweep every NOTIFICATION_SWEEP_SECONDS; a worker runs it and notes the
    time. Silent for several intervals: beat (or every worker) is not running, and no reminder goes out."""

    def run(self) -> None:
        last = Heartbeat.objects.filter(name=BEAT).values_list("at", flat=True).first()
        limit = timedelta(seconds=settings.HEALTH_BEAT_LATE_SECONDS)
        if last is None:
            raise ServiceUnavailable("beat has not run yet")
        age = timezone.now() - last
        if age > limit:
            raise ServiceUnavailable(f"beat last ran {int(age.total_seconds())} s ago")


@dataclasses.dataclass
class OutboxFlowing(HealthCheck):
    """The oldest message that is due and not sent yet: older than HEALTH_UNSENT_LATE_SECONDS means no worker
    is sending (one query on the outbox's status-and-due index)."""

    def run(self) -> None:
        now = timezone.now()
        due = Notification.objects.filter(status__in=UNSENT, send_after__lte=now)
        oldest = due.aggregate(oldest=Min("send_after"))["oldest"]
        if oldest is not None and now - oldest > timedelta(seconds=settings.HEALTH_UNSENT_LATE_SECONDS):
            raise ServiceUnavailable(f"a message has waited {int((now - oldest).total_seconds())} s to be sent")
