"""Server-sent events: the live connection of the client's page and of the agent's waiting room.

They need ASGI (uvicorn, as `make run` and production serve the app): one connection costs a coroutine,
not a thread. Under WSGI they answer 503 and the pages keep polling, which also covers browsers and
proxies that do not let event streams through.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

from asgiref.sync import sync_to_async
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from accounts.selectors import visible_teams

from . import ratelimit, services
from .events import Subscription, consult_channel, hub, team_channel
from .selectors import LinkState, link_state, participant_for_token

# A comment line this often keeps proxies from closing an idle stream, and refreshes the client's presence.
KEEPALIVE_SECONDS = 10


def _pooled(function):
    """Database work of an open stream (presence every few seconds, leaving at the end) on the event
    loop's small shared thread pool, whose threads keep their connections. Django would otherwise run it
    in a thread of the stream's own, and a thousand open streams would hold a thousand connections."""

    def run(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (OperationalError, InterfaceError):
            # The thread's connection went stale (a database restart): reconnect once.
            connections.close_all()
            return function(*args, **kwargs)

    return sync_to_async(run, thread_sensitive=False)


async def _release_request_connections() -> None:
    # The request's own thread opened a connection for the lookups before the stream; the stream may
    # stay open for hours, so give it back now rather than when the request ends.
    await sync_to_async(connections.close_all)()


async def _stream(
    subscription: Subscription,
    *,
    on_tick: Callable[[], Awaitable[None]] | None = None,
    on_close: Callable[[], Awaitable[None]] | None = None,
) -> AsyncIterator[str]:
    try:
        yield "retry: 2000\n\n"
        while True:
            try:
                event = await asyncio.wait_for(subscription.queue.get(), timeout=KEEPALIVE_SECONDS)
            except TimeoutError:
                yield ": keepalive\n\n"
                if on_tick is not None:
                    await on_tick()
            else:
                yield f"data: {event}\n\n"
    finally:
        # The browser went away (Django cancels the stream when the connection closes).
        subscription.close()
        if on_close is not None:
            await asyncio.shield(on_close())


def _response(stream: AsyncIterator[str]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(stream, content_type="text/event-stream")
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"  # nginx: pass events on at once
    return response


def _served_by_asgi(request: HttpRequest) -> bool:
    return hasattr(request, "scope")


def _visible_team_ids(user) -> list[int]:
    return list(visible_teams(user=user).values_list("pk", flat=True))


async def agent_events(request: HttpRequest) -> HttpResponse:
    """Changes in the waiting rooms of the teams the user sees; the page then fetches its list."""
    if not _served_by_asgi(request):
        return HttpResponse(status=503)
    user = await request.auser()
    if not user.is_authenticated:
        return HttpResponse(status=403)
    team_ids = await sync_to_async(_visible_team_ids)(user)
    await _release_request_connections()
    return _response(_stream(hub.subscribe([team_channel(pk) for pk in team_ids])))


def _participant(request: HttpRequest, token: str):
    if ratelimit.is_blocked(request):
        return "blocked"
    participant = participant_for_token(token=token)
    if participant is None:
        ratelimit.record_miss(request)
    return participant


async def client_events(request: HttpRequest, token: str) -> HttpResponse:
    """The client's page: open means waiting; events say when to fetch messages or go into the room."""
    if not _served_by_asgi(request):
        return HttpResponse(status=503)
    participant = await sync_to_async(_participant)(request, token)
    if participant == "blocked":
        return HttpResponse(status=429)
    if participant is None:
        await _release_request_connections()
        return HttpResponse(status=404)
    if link_state(participant=participant) is not LinkState.VALID:
        return HttpResponse(status=410)
    subscription = hub.subscribe([consult_channel(participant.appointment.public_id)])
    await _pooled(services.check_in)(participant=participant)
    await _release_request_connections()

    async def still_here() -> None:
        await _pooled(services.check_in)(participant=participant)

    async def gone() -> None:
        await _pooled(services.leave)(participant=participant)

    return _response(_stream(subscription, on_tick=still_here, on_close=gone))
