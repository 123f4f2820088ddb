"""/metrics/ for Prometheus: django-prometheus's request counts and latencies (by view, method and status),
and our own figures (notifications.metrics, waitingroom.metrics).

Not public: only addresses in METRICS_ALLOWED_IPS (default loopback) or a request that carries METRICS_TOKEN
as a bearer token; anyone else gets 404, and a wrong token 403.

Several processes (gunicorn's and uvicorn's workers) each count their own requests and streams. With
PROMETHEUS_MULTIPROC_DIR set (the same directory for both servers on one machine), every process writes its
figures there and any of them answers a scrape with the sum of all (prometheus_client's multiprocess mode).
The figures read from the database are the same whichever process answers, so they are not written there.
"""

import ipaddress
import os
import re
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from notifications import metrics as outbox
from waitingroom import metrics as waitingroom

# The files of a process's live gauges (multiprocess_mode live*): gauge_livesum_<pid>.db.
_LIVE_GAUGE_FILE = re.compile(r"gauge_live\w+?_(\d+)\.db")


class DatabaseFigures(Collector):
    """What the database says now: a fixed number of queries per scrape, whatever the number of rows."""

    def collect(self) -> Iterator[Metric]:
        yield from outbox.collect()
        yield from waitingroom.collect()


def _allowed(request: HttpRequest) -> bool:
    """The token, when one is configured and sent, decides alone; otherwise the address does."""
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and given:
        return constant_time_compare(given, f"Bearer {token}")
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(allowed, strict=False) for allowed in settings.METRICS_ALLOWED_IPS)


def forget_dead_processes(directory: Path) -> None:
    """A worker that died (killed, restarted by its server) leaves its live gauges' file behind, and the
    sum would count its streams for ever. gunicorn could say so in a child_exit hook, uvicorn has none: so
    the scrape looks for itself. The processes share the machine, so a pid that is gone is that worker."""
    for path in directory.glob("gauge_live*.db"):
        match = _LIVE_GAUGE_FILE.fullmatch(path.name)
        if match is None:
            continue
        pid = int(match[1])
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, str(directory))
        except PermissionError:
            pass  # alive, under another user


def _process_figures() -> bytes:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return generate_latest(REGISTRY)
    forget_dead_processes(Path(directory))
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    return generate_latest(registry)


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        if settings.METRICS_TOKEN and request.headers.get("Authorization"):
            return HttpResponse(status=403)
        raise Http404
    database = CollectorRegistry()
    database.register(DatabaseFigures())
    return HttpResponse(_process_figures() + generate_latest(database), content_type=CONTENT_TYPE_LATEST)
