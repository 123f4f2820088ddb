"""Live events of the waiting room: a change is published on a channel, and the open pages that listen to
that channel (server-sent events) hear of it within milliseconds and fetch what changed.

Channels: `team:<id>` for the agents' and assistants' waiting rooms, `consult:<public id>` for the clients'
pages, `call:<public id>` for the pages in a built-in video call. Events carry only a word ("presence",
"message", "started"...), never data: pages fetch their state through the views that check who may see what.

The one exception is call signalling (waitingroom.calls): offers, answers and network candidates for one page
in a call, on `peer:<public id>:<peer>:<session>`, which only that page listens to. They pass through and are
not kept anywhere.

With REDIS_URL set, events go through Redis pub/sub, so a page served by one web process hears a change
made in another (uvicorn --workers N, several servers). Each process keeps one Redis connection and fans
events out to its own listeners. Without Redis (make run, one process) events stay in the process.
"""

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit
from uuid import UUID

import redis
import redis.asyncio
from django.conf import settings
from django.db import transaction

from scheduling.models import Appointment

logger = logging.getLogger(__name__)
# A listener that falls this far behind misses events; its page catches up with its next fetch anyway.
QUEUE_SIZE = 64
# Seconds between tries to reach Redis again, doubling up to the longest.
RECONNECT_FIRST = 1
RECONNECT_LONGEST = 30


PEER_PREFIX = "peer:"


@dataclass(frozen=True)
class Signal:
    """Call signalling for one page (JSON), as opposed to a word that says "fetch"."""

    data: str


class Subscription:
    def __init__(self, hub: "Hub", channels: list[str]) -> None:
        self.hub = hub
        self.channels = channels
        self.queue: asyncio.Queue[str | Signal] = asyncio.Queue(maxsize=QUEUE_SIZE)

    def close(self) -> None:
        self.hub._remove(self)


class Hub:
    """The listeners of this process, by channel."""

    def __init__(self) -> None:
        self._listeners: dict[str, set[Subscription]] = defaultdict(set)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._redis_task: asyncio.Task | None = None

    def subscribe(self, channels: list[str]) -> Subscription:
        """Listen to channels; call from the event loop that serves the page."""
        self._loop = asyncio.get_running_loop()
        subscription = Subscription(self, channels)
        for channel in channels:
            self._listeners[channel].add(subscription)
        if settings.REDIS_URL and (self._redis_task is None or self._redis_task.done()):
            self._redis_task = self._loop.create_task(self._listen_to_redis())
        return subscription

    def _remove(self, subscription: Subscription) -> None:
        for channel in subscription.channels:
            listeners = self._listeners.get(channel)
            if listeners is not None:
                listeners.discard(subscription)
                if not listeners:
                    del self._listeners[channel]

    def dispatch(self, channel: str, event: str) -> None:
        """Hand an event to this process's listeners; runs in the event loop."""
        item = Signal(event) if channel.startswith(PEER_PREFIX) else event
        for subscription in list(self._listeners.get(channel, ())):
            with contextlib.suppress(asyncio.QueueFull):
                subscription.queue.put_nowait(item)

    def dispatch_threadsafe(self, channel: str, event: str) -> None:
        # Views run in worker threads under ASGI; the listeners' queues belong to the event loop.
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.dispatch, channel, event)

    @property
    def listener_count(self) -> int:
        return sum(len(listeners) for listeners in self._listeners.values())

    async def _listen_to_redis(self) -> None:
        """One pattern subscription per process; reconnects after Redis restarts, waiting longer after each
        failed try (up to half a minute) and saying so once per outage rather than every second."""
        wait = RECONNECT_FIRST
        while True:
            client = redis.asyncio.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2)
            pubsub = client.pubsub()
            try:
                prefix = channel_prefix()
                await pubsub.psubscribe(prefix + "*")
                if wait > RECONNECT_FIRST:
                    logger.warning("Live events: Redis is back; events between processes flow again")
                wait = RECONNECT_FIRST
                async for message in pubsub.listen():
                    if message["type"] == "pmessage":
                        channel = message["channel"].decode()[len(prefix) :]
                        self.dispatch(channel, message["data"].decode())
            except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
                if wait == RECONNECT_FIRST:
                    logger.warning(
                        "Live events: Redis unreachable (%s); pages fall back on their periodic fetch until it is back",
                        error,
                    )
                await asyncio.sleep(wait)
                wait = min(wait * 2, RECONNECT_LONGEST)
            finally:
                await pubsub.aclose()
                await client.aclose()

    async def stop(self) -> None:
        """Stop listening to Redis (tests; a web process simply ends)."""
        if self._redis_task is not None:
            self._redis_task.cancel()
            await asyncio.gather(self._redis_task, return_exceptions=True)
            self._redis_task = None


hub = Hub()
_redis_client: redis.Redis | None = None


def channel_prefix() -> str:
    """The Redis channels of this installation. Pub/sub ignores Redis's database number: two installations
    on one Redis server (production and a test site, say, on databases 0 and 1) heard each other's events,
    and a page fetched its state on every event of the other's team of the same id. So the database number is
    part of the prefix, and LIVE_EVENTS_PREFIX may name the installation outright."""
    if settings.LIVE_EVENTS_PREFIX:
        return f"{settings.LIVE_EVENTS_PREFIX}:waitingroom:"
    database = urlsplit(settings.REDIS_URL).path.strip("/") or "0"
    return f"videoconsult:{database}:waitingroom:"


def _redis() -> redis.Redis:
    global _redis_client
    if _redis_client is None:
        # Timeouts: publishing happens in the request that made the change, which must not hang on Redis.
        _redis_client = redis.Redis.from_url(settings.REDIS_URL, **settings.REDIS_TIMEOUTS)
    return _redis_client


def _send(channel: str, event: str) -> None:
    _send_all([channel], event)


def _send_all(channels: list[str], event: str) -> None:
    if settings.REDIS_URL:
        try:
            # One round trip for a change to many consults (a series of 200 sessions cancelled at once).
            pipeline = _redis().pipeline(transaction=False)
            prefix = channel_prefix()
            for channel in channels:
                pipeline.publish(prefix + channel, event)
            pipeline.execute()
        except redis.RedisError as error:
            # Pages still catch up through their periodic fetch; a lost event only delays them.
            logger.warning("Live events: could not publish %s on %s: %s", event, ", ".join(channels), error)
    else:
        for channel in channels:
            hub.dispatch_threadsafe(channel, event)


def send_now(channel: str, event: str) -> None:
    """Publish at once, outside any transaction: call signalling, which changes nothing in the database."""
    _send(channel, event)


def publish(channel: str, event: str) -> None:
    """Tell the listeners of a channel that something happened, once the current transaction commits
    (a page that fetches on the event must find the change)."""
    transaction.on_commit(lambda: _send(channel, event))


def team_channel(team_id: int) -> str:
    return f"team:{team_id}"


def consult_channel(public_id: UUID) -> str:
    return f"consult:{public_id}"


def call_channel(public_id: UUID) -> str:
    return f"call:{public_id}"


def peer_channel(public_id: UUID, peer: str, session: str) -> str:
    return f"{PEER_PREFIX}{public_id}:{peer}:{session}"


def announce(appointment: Appointment, event: str) -> None:
    """A change in a consult: its team's waiting rooms and its clients' pages hear of it."""
    announce_all([appointment], event)


def announce_all(appointments: Sequence[Appointment], event: str, *, former_team_ids: Iterable[int] = ()) -> None:
    """A change in one or several consults: each of their teams' waiting rooms (and those of teams they were
    moved away from) hears of it once, and each consult's clients' pages, once the transaction commits."""
    channels = [team_channel(a.team_id) for a in appointments] + [team_channel(t) for t in former_team_ids]
    channels += [consult_channel(a.public_id) for a in appointments]
    unique = list(dict.fromkeys(channels))
    transaction.on_commit(lambda: _send_all(unique, event))
