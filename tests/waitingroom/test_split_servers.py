"""Pages by gunicorn, event streams by uvicorn, as the README's deployment runs them behind one proxy.

A change made in a page served by gunicorn must reach a stream held open by uvicorn, which only Redis
pub/sub carries between them; and gunicorn, which cannot hold streams, answers them 503 so that pages poll.
"""

from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
import requests
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import Action, AuditEvent
from tests.live import next_event, wait_for_listener
from tests.processes import gunicorn_server, uvicorn_server

CLIENT_ADDRESS = "203.0.113.9"  # what the proxy says in X-Forwarded-For (TEST-NET-3)


@pytest.fixture
def redis_url() -> str:
    url = (settings.REDIS_URL or "redis://127.0.0.1:6379/0").rsplit("/", 1)[0] + "/12"
    try:
        redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        pytest.skip(f"Redis is not running at {url} (make run does not need it; CI starts it)")
    return url


@pytest.fixture
def servers(transactional_db, tmp_path, redis_url) -> Iterator[tuple[str, str]]:
    """(pages, streams): gunicorn and uvicorn on the test database, sharing Redis and SECRET_KEY."""
    env = {"REDIS_URL": redis_url}
    with (
        gunicorn_server(var_dir=tmp_path / "var", env=env, log=tmp_path / "gunicorn.log") as pages,
        uvicorn_server(var_dir=tmp_path / "var", env=env, log=tmp_path / "uvicorn.log") as streams,
    ):
        yield pages, streams


@pytest.fixture
def consult(book):
    start = timezone.now() + timedelta(minutes=5)
    return book(start=start, end=start + timedelta(minutes=30))


def session_cookie(user) -> dict[str, str]:
    """A session in the database, so valid on both servers."""
    client = Client()
    client.force_login(user)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def test_pages_by_gunicorn_reach_the_streams_of_uvicorn_through_redis(servers, redis_url, agent, consult):
    pages, streams = servers
    cookies = session_cookie(agent)
    participant = consult.participants.get()
    stream_path = reverse("waitingroom:agent-events")

    # gunicorn cannot hold a stream: it says so, and the agent's page polls there.
    assert requests.get(pages + stream_path, cookies=cookies, timeout=5).status_code == 503

    patterns = redis.Redis.from_url(redis_url).pubsub_numpat()
    # The read timeout bounds the wait for each event (keep-alives come only every 10 s).
    stream = requests.get(streams + stream_path, cookies=cookies, stream=True, timeout=(5, 5))
    try:
        assert stream.status_code == 200
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        lines = stream.iter_lines(decode_unicode=True)
        wait_for_listener(redis_url, patterns)

        # The client's page checks in through gunicorn: the agent's stream on uvicorn hears the arrival.
        checked_in = requests.post(pages + reverse("waitingroom:presence", args=[participant.token]), timeout=5)
        assert checked_in.json()["state"] == "waiting"
        assert next_event(lines) == "presence"

        # The agent's message, a page served by gunicorn behind the proxy: the stream hears of it, and the
        # audit log has the client's address that the proxy forwarded, not the proxy's.
        csrf = "a" * 32
        sent = requests.post(
            pages + reverse("waitingroom:message", args=[consult.public_id]),
            data={"text": "Two minutes, please"},
            cookies={**cookies, settings.CSRF_COOKIE_NAME: csrf},
            headers={"X-CSRFToken": csrf, "Accept": "application/json", "X-Forwarded-For": CLIENT_ADDRESS},
            timeout=5,
        )
        assert sent.json() == {"ok": True}
        assert next_event(lines) == "message"
        assert AuditEvent.objects.get(action=Action.WAITING_MESSAGE).ip_address == CLIENT_ADDRESS
    finally:
        stream.close()
