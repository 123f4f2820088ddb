"""/metrics/ as production runs it: gunicorn (pages) and uvicorn (event streams), two workers each, sharing one
PROMETHEUS_MULTIPROC_DIR. Whichever worker answers a scrape gives the totals of all of them: the requests every
page worker served, the streams every stream worker holds open, and none of a worker that died."""

import os
import signal
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.urls import reverse
from django.utils import timezone
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests.processes import gunicorn_server, uvicorn_server

STREAMS = "videoconsult_event_streams_open"


@pytest.fixture
def servers(transactional_db, tmp_path) -> Iterator[tuple[str, str, Path]]:
    """(pages, streams, the multiprocess directory): both servers on the test database."""
    directory = tmp_path / "prometheus"
    directory.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(directory)}
    with (
        gunicorn_server(var_dir=tmp_path / "var", env=env, workers=2, log=tmp_path / "gunicorn.log") as pages,
        uvicorn_server(var_dir=tmp_path / "var", env=env, workers=2, log=tmp_path / "uvicorn.log") as streams,
    ):
        yield pages, streams, directory


def scrape(address: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = requests.get(address + reverse("metrics"), timeout=5)
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def client_streams(address: str) -> float:
    return scrape(address)[(STREAMS, (("kind", "client"),))]


def eventually(read: Callable[[], float], expected: float, *, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while (value := read()) != expected:
        assert time.monotonic() < deadline, f"still {value}, not {expected}"
        time.sleep(0.1)


def open_stream(address: str, token: str, page: str) -> tuple[requests.Response, Iterator[str]]:
    """An open stream and its lines; keep both: dropping the lines' iterator closes the connection."""
    path = reverse("waitingroom:client-events", args=[token])
    stream = requests.get(f"{address}{path}?page={page}", stream=True, timeout=(5, 15))
    assert stream.status_code == 200
    lines = stream.iter_lines(decode_unicode=True)
    assert next(lines) == "retry: 2000"  # the stream has begun
    return stream, lines


def worker_holding_a_client_stream(directory: Path) -> int:
    """The pid of a stream worker whose own file counts an open client stream."""
    for path in directory.glob("gauge_livesum_*.db"):
        for family in MultiProcessCollector.merge([str(path)], accumulate=False):
            if any(s.name == STREAMS and s.labels == {"kind": "client"} and s.value > 0 for s in family.samples):
                return int(path.stem.rsplit("_", 1)[1])
    raise AssertionError("no worker counts a client stream")


def test_requests_of_every_page_worker_are_added_up_for_local_scrapes_only(servers):
    pages, _streams, _directory = servers
    # From the loopback, as the proxy's requests come, but forwarded for a client outside: nothing there.
    forwarded = requests.get(pages + reverse("metrics"), headers={"X-Forwarded-For": "203.0.113.9"}, timeout=5)
    assert forwarded.status_code == 404
    name = "django_http_responses_total_by_status_view_method_total"
    key = (name, (("method", "GET"), ("status", "301"), ("view", "favicon")))
    for _ in range(20):
        requests.get(pages + reverse("favicon"), allow_redirects=False, timeout=5)
    # Each scrape is answered by one worker or the other; each gives the sum of both.
    assert [scrape(pages)[key] for _ in range(4)] == [20.0] * 4


def test_open_streams_are_counted_while_open_and_not_after_their_worker_died(servers, book):
    pages, streams, directory = servers
    start = timezone.now() + timedelta(minutes=5)
    token = book(start=start, end=start + timedelta(minutes=30)).participants.get().token
    assert client_streams(pages) == 0

    first, _first_lines = open_stream(streams, token, "page-one-0001")
    second, _second_lines = open_stream(streams, token, "page-two-0002")
    # Held by uvicorn's workers, counted by a gunicorn worker's scrape.
    eventually(lambda: client_streams(pages), 2)
    first.close()
    eventually(lambda: client_streams(pages), 1)

    # A worker killed outright says goodbye to nobody: the scrape sees it is gone and forgets its streams.
    os.kill(worker_holding_a_client_stream(directory), signal.SIGKILL)
    eventually(lambda: client_streams(pages), 0)
    second.close()
