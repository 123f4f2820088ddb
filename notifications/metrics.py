"""The outbox's figures for /metrics/ (config/metrics.py), read from the database at scrape time: what is due
and not sent yet, and what was sent or failed, by channel. Two queries on the outbox's status index, whatever
its size: counting in the worker instead would miss the rows that the sweep (beat) and Twilio's status
callback (the pages) mark failed, each in a process of its own."""

from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from .health import UNSENT
from .models import DeliveryStatus, MessageChannel, Notification

# Delivered is sent and confirmed by the provider (an SMS status callback): both count as sent.
SENT = (DeliveryStatus.SENT, DeliveryStatus.DELIVERED)
FINAL = (*SENT, DeliveryStatus.FAILED)


def _by_channel(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(MessageChannel.values, 0)
    for row in rows:
        counts[row["channel"]] = counts.get(row["channel"], 0) + row["n"]
    return counts


def _family(name: str, documentation: str, counts: dict[str, int]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=["channel"])
    for channel, count in sorted(counts.items()):
        family.add_metric([channel], count)
    return family


def collect() -> Iterator[Metric]:
    due = Notification.objects.filter(status__in=UNSENT, send_after__lte=timezone.now())
    waiting = _by_channel(due.values("channel").annotate(n=Count("pk")).order_by())
    yield _family(
        "videoconsult_messages_waiting",
        "Messages due and not sent yet (scheduled, queued or being sent), by channel.",
        waiting,
    )
    final = list(
        Notification.objects.filter(status__in=FINAL).values("status", "channel").annotate(n=Count("pk")).order_by()
    )
    yield _family(
        "videoconsult_messages_sent",
        "Messages in the outbox that were sent (or delivered), by channel; rows leave it with the retention.",
        _by_channel(row for row in final if row["status"] in SENT),
    )
    yield _family(
        "videoconsult_messages_failed",
        "Messages in the outbox that failed, by channel, until sent again or erased with the retention.",
        _by_channel(row for row in final if row["status"] == DeliveryStatus.FAILED),
    )
