"""Live events: the in-process hub, Redis fan-out between processes' hubs, and the event streams."""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.test import AsyncClient
from django.urls import reverse
from django.utils import timezone

from waitingroom import events
from waitingroom.events import Hub
from waitingroom.models import Presence


def run_in_own_loop(scenario):
    """Run a coroutine function in a fresh event loop of its own thread (the browser tests keep one
    running in the main thread for the whole session)."""
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(asyncio.run, scenario()).result(timeout=30)


def test_an_event_published_in_a_worker_thread_reaches_a_listener_in_the_event_loop():
    hub = Hub()

    async def scenario():
        subscription = hub.subscribe(["team:1"])
        other = hub.subscribe(["team:2"])
        thread = threading.Thread(target=hub.dispatch_threadsafe, args=("team:1", "presence"))
        thread.start()
        thread.join()
        event = await asyncio.wait_for(subscription.queue.get(), timeout=2)
        subscription.close()
        other.close()
        return event, other.queue.empty(), hub.listener_count

    assert run_in_own_loop(scenario) == ("presence", True, 0)


@pytest.fixture
def redis_events(settings):
    url = (settings.REDIS_URL or "redis://127.0.0.1:6379/0").rsplit("/", 1)[0] + "/12"
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip(f"Redis is not running at {url} (make run does not need it; CI starts it)")
    settings.REDIS_URL = url
    events._redis_client = None
    yield url
    events._redis_client = None
    client.close()


def test_with_redis_every_processs_hub_hears_an_event_published_anywhere(redis_events):
    # Two hubs stand for two web processes; the event is published as a view would, through Redis.
    first, second = Hub(), Hub()

    async def scenario():
        a = first.subscribe(["consult:x"])
        b = second.subscribe(["consult:x"])
        for _ in range(50):  # until both pattern subscriptions are in place
            if redis.Redis.from_url(redis_events).pubsub_numpat() >= 2:
                break
            await asyncio.sleep(0.05)
        await asyncio.to_thread(events._send, "consult:x", "started")
        received = [await asyncio.wait_for(s.queue.get(), timeout=3) for s in (a, b)]
        a.close()
        b.close()
        await first.stop()
        await second.stop()
        return received

    assert run_in_own_loop(scenario) == ["started", "started"]


@pytest.fixture
def participant(book):
    start = timezone.now() + timedelta(minutes=5)
    return book(start=start, end=start + timedelta(minutes=30)).participants.get()


def _read(client: AsyncClient, url: str, chunks: int, between=None):
    """Open an event stream, read some chunks (calling `between` after the first), then hang up, as a
    browser does: Django cancels the streaming task when the connection closes."""

    async def scenario():
        response = await client.get(url)
        received = []

        async def consume():
            async for chunk in response.streaming_content:
                received.append(chunk.decode())
                if len(received) == 1 and between is not None:
                    await asyncio.to_thread(between)

        task = asyncio.create_task(consume())
        for _ in range(1500):
            if len(received) >= chunks or task.done():
                break
            await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return response, received

    return run_in_own_loop(scenario)


@pytest.mark.django_db(transaction=True)  # the stream's database work runs in threads of its own
def test_the_clients_stream_marks_them_waiting_brings_events_and_leaving_on_close(participant, settings):
    settings.REDIS_URL = ""
    url = reverse("waitingroom:client-events", args=[participant.token])
    channel = events.consult_channel(participant.appointment.public_id)
    response, received = _read(AsyncClient(), url, 2, between=lambda: events._send(channel, "message"))
    assert response["Content-Type"] == "text/event-stream"
    assert received == ["retry: 2000\n\n", "data: message\n\n"]
    presence = Presence.objects.get(participant=participant)
    assert presence.arrived_at is not None
    assert presence.left_at is not None  # closing the stream is leaving


@pytest.mark.django_db(transaction=True)
def test_the_agents_stream_needs_a_login_and_unknown_tokens_are_refused(client):
    async def scenario():
        anonymous = await AsyncClient().get(reverse("waitingroom:agent-events"))
        unknown = await AsyncClient().get(reverse("waitingroom:client-events", args=["nope"]))
        return anonymous.status_code, unknown.status_code

    assert run_in_own_loop(scenario) == (403, 404)


def test_under_wsgi_the_streams_answer_503_and_pages_poll(client, participant):
    assert client.get(reverse("waitingroom:client-events", args=[participant.token])).status_code == 503
    assert settings.ROOT_URLCONF


def test_installations_sharing_a_redis_server_do_not_hear_each_other(redis_events, settings):
    # Pub/sub ignores Redis's database number: another installation on database 11 of the same server had
    # heard this one's events. Now each listens under its own prefix (the database number by default).
    ours, theirs = redis_events, redis_events.rsplit("/", 1)[0] + "/11"
    ours_hub, their_hub = Hub(), Hub()
    numpat = redis.Redis.from_url(ours).pubsub_numpat

    async def listening(hub, url, before):
        settings.REDIS_URL = url
        subscription = hub.subscribe(["team:1"])
        for _ in range(60):
            if numpat() > before:
                break
            await asyncio.sleep(0.05)
        return subscription

    async def scenario():
        theirs_listens = await listening(their_hub, theirs, numpat())
        ours_listens = await listening(ours_hub, ours, numpat())
        events._redis_client = None
        await asyncio.to_thread(events._send, "team:1", "presence")
        heard = await asyncio.wait_for(ours_listens.queue.get(), timeout=3)
        await asyncio.sleep(0.3)
        overheard = theirs_listens.queue.qsize()
        for hub, subscription in ((ours_hub, ours_listens), (their_hub, theirs_listens)):
            subscription.close()
            await hub.stop()
        return heard, overheard

    assert run_in_own_loop(scenario) == ("presence", 0)


def test_the_channel_prefix_names_the_installation(settings):
    settings.REDIS_URL = "redis://cache.example.nl:6379/3"
    settings.LIVE_EVENTS_PREFIX = ""
    assert events.channel_prefix() == "videoconsult:3:waitingroom:"
    settings.LIVE_EVENTS_PREFIX = "praktijk-de-linde"
    assert events.channel_prefix() == "praktijk-de-linde:waitingroom:"
