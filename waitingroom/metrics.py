"""The waiting room's figures for /metrics/ (config/metrics.py): clients waiting now and consults in progress
(one query each, at scrape time, from the database every process shares), and the event streams open in this
process (a gauge that each uvicorn worker keeps; with PROMETHEUS_MULTIPROC_DIR the scrape adds up the live
workers')."""

from collections.abc import Iterator

from django.conf import settings
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone
from prometheus_client import Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from scheduling.models import Appointment
from videoproviders.models import LIVE_STATUSES, VideoRoom

from .models import Presence
from .services import presence_timeout

# livesum: the open streams of the workers that are alive, added up; a worker that died holds none.
streams_open = Gauge(
    "videoconsult_event_streams_open",
    "Server-sent event streams open now, by kind: client (a waiting page), agent (a waiting room), call.",
    ["kind"],
    multiprocess_mode="livesum",
)
STREAM_KINDS = ("client", "agent", "call")
for _kind in STREAM_KINDS:
    # Present at 0 from the start, so that a query on a kind finds a series before its first stream.
    streams_open.labels(_kind)


def collect() -> Iterator[Metric]:
    now = timezone.now()
    # What services.is_waiting says of one presence, for all of them.
    waiting = Presence.objects.filter(
        arrived_at__isnull=False, left_at__isnull=True, last_seen_at__gte=now - presence_timeout()
    ).count()
    yield GaugeMetricFamily(
        "videoconsult_clients_waiting", "Clients whose waiting page is open now (checked in recently).", value=waiting
    )
    # In progress: started and not ended (Appointment.is_active), by the video service of the consult's room.
    room = VideoRoom.objects.filter(appointment=OuterRef("pk"), status__in=LIVE_STATUSES).values("provider")[:1]
    running = (
        Appointment.objects.scheduled()
        .filter(started_at__isnull=False, ended_at__isnull=True)
        .annotate(provider=Subquery(room))
        .values("provider")
        .annotate(n=Count("pk"))
        .order_by()
    )
    calls = GaugeMetricFamily(
        "videoconsult_calls_in_progress",
        "Consults started and not ended, by video service (builtin, whereby, jitsi, personal; none: no room).",
        labels=["provider"],
    )
    counts = dict.fromkeys(settings.VIDEO_PROVIDERS, 0)
    for row in running:
        provider = row["provider"] or "none"
        counts[provider] = counts.get(provider, 0) + row["n"]
    for provider, count in sorted(counts.items()):
        calls.add_metric([provider], count)
    yield calls
