"""Server-sent events: the live connection of the client's page and of the agent's waiting room.

They need ASGI (uvicorn, as `make run` serves the app and production serves the URLs ending in /events/):
one connection costs a coroutine, not a thread. Under WSGI (gunicorn, production's pages) they answer 503
and the pages keep polling, which also covers browsers and proxies that do not let event streams through.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Literal, ParamSpec, TypeVar
from uuid import UUID

from asgiref.sync import sync_to_async
from django.db import InterfaceError, OperationalError, connections
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from accounts.models import User
from accounts.selectors import visible_teams
from scheduling.models import Appointment, Participant
from scheduling.selectors import get_visible_appointment

from . import calls, ratelimit, services
from .events import Signal, Subscription, call_channel, consult_channel, hub, peer_channel, team_channel
from .heartbeat import Heartbeat
from .metrics import streams_open
from .selectors import LinkState, client_page, link_state, participant_for_token

# A comment line this often keeps proxies from closing an idle stream; the open client pages' presence is
# refreshed as often (well within WAITING_PRESENCE_TIMEOUT_SECONDS).
KEEPALIVE_SECONDS = 10

P = ParamSpec("P")
R = TypeVar("R")
# A token lookup that the rate limit refused, told apart from a token that matches nobody (None).
Blocked = Literal["blocked"]


def _pooled(function: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """Database work of an open stream (presence every few seconds, leaving at the end) on the event
    loop's small shared thread pool, whose threads keep their connections. Django would otherwise run it
    in a thread of the stream's own, and a thousand open streams would hold a thousand connections."""

    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except (OperationalError, InterfaceError):
            # The thread's connection went stale (a database restart): reconnect once.
            connections.close_all()
            return function(*args, **kwargs)

    return sync_to_async(run, thread_sensitive=False)


def _refresh_waiting(pages: Sequence[services.OpenPage]) -> None:
    services.refresh_waiting(pages=pages)


# One refresh of every open client page of this process, instead of one per stream.
presence_heartbeat = Heartbeat(refresh=_pooled(_refresh_waiting), every=KEEPALIVE_SECONDS)


async def _release_request_connections() -> None:
    # The request's own thread opened a connection for the lookups before the stream; the stream may
    # stay open for hours, so give it back now rather than when the request ends.
    await sync_to_async(connections.close_all)()


async def _stream(
    subscription: Subscription,
    *,
    kind: str,
    open_page: services.OpenPage | None = None,
    on_tick: Callable[[], Awaitable[None]] | None = None,
    on_close: Callable[[], Awaitable[None]] | None = None,
) -> AsyncIterator[str]:
    # Kept waiting from the first byte sent until the connection goes: a stream that never starts (the
    # browser went before the response) is never counted.
    beat = presence_heartbeat.add(open_page) if open_page is not None else None
    streams_open.labels(kind).inc()
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
                yield f"event: signal\ndata: {event.data}\n\n" if isinstance(event, Signal) else f"data: {event}\n\n"
    finally:
        # The browser went away (Django cancels the stream when the connection closes).
        streams_open.labels(kind).dec()
        if beat is not None:
            presence_heartbeat.discard(beat)
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


def _visible_team_ids(user: User) -> list[int]:
    return list(visible_teams(user=user).values_list("pk", flat=True))


async def agent_events(request: HttpRequest) -> HttpResponseBase:
    """Changes in the waiting rooms of the teams the user sees; the page then fetches its list."""
    if not _served_by_asgi(request):
        return HttpResponse(status=503)
    user = await request.auser()
    if not user.is_authenticated:
        return HttpResponse(status=403)
    team_ids = await sync_to_async(_visible_team_ids)(user)
    await _release_request_connections()
    return _response(_stream(hub.subscribe([team_channel(pk) for pk in team_ids]), kind="agent"))


def _participant(request: HttpRequest, token: str) -> Participant | Blocked | None:
    if ratelimit.is_blocked(request):
        return "blocked"
    participant = participant_for_token(token=token)
    if participant is None:
        ratelimit.record_miss(request)
    return participant


async def client_events(request: HttpRequest, token: str) -> HttpResponseBase:
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
    page = client_page(request)
    await _pooled(services.check_in)(participant=participant, page=page)
    await _release_request_connections()

    async def gone() -> None:
        await _pooled(services.leave)(participant=participant, page=page)

    open_page = services.OpenPage(participant=participant, page=page)
    return _response(_stream(subscription, kind="client", open_page=open_page, on_close=gone))


# --- built-in video calls -------------------------------------------------------------------------------


def _call_session(request: HttpRequest) -> str | None:
    session = request.GET.get("session", "")
    return session if calls.valid_session(session) else None


async def _call_stream(appointment: Appointment, participant: Participant | None, session: str) -> HttpResponseBase:
    """The stream of one page in a call: its own signalling, the call's changes, the consult's end. Open
    means in the call; closing it (the page left, the network went) leaves the call."""
    channels = [
        peer_channel(appointment.public_id, calls.peer_id(participant), session),
        call_channel(appointment.public_id),
        consult_channel(appointment.public_id),
    ]
    subscription = hub.subscribe(channels)
    try:
        attendance = await _pooled(calls.join)(appointment=appointment, participant=participant, session=session)
    except calls.CallFull:
        subscription.close()
        await _release_request_connections()
        return HttpResponse(status=409)
    await _release_request_connections()

    async def still_here() -> None:
        await _pooled(calls.still_here)(attendance_id=attendance.pk)

    async def gone() -> None:
        await _pooled(calls.leave)(attendance_id=attendance.pk)

    return _response(_stream(subscription, kind="call", on_tick=still_here, on_close=gone))


def _client_in_call(request: HttpRequest, token: str) -> Participant | Blocked | None:
    participant = _participant(request, token)
    if participant is None or participant == "blocked":
        return participant
    if link_state(participant=participant) is not LinkState.VALID:
        return None
    return participant


async def client_call_events(request: HttpRequest, token: str) -> HttpResponseBase:
    """A client's page in the call (let in by the agent, not taken out again)."""
    if not _served_by_asgi(request):
        return HttpResponse(status=503)
    session = _call_session(request)
    participant = await sync_to_async(_client_in_call)(request, token)
    if participant == "blocked":
        return HttpResponse(status=429)
    if participant is None or session is None:
        await _release_request_connections()
        return HttpResponse(status=404)
    appointment = participant.appointment
    allowed = await sync_to_async(calls.may_join)(appointment=appointment, participant=participant)
    if not allowed:
        await _release_request_connections()
        return HttpResponse(status=403)
    return await _call_stream(appointment, participant, session)


def _agents_consult(user: User, public_id: UUID) -> Appointment | None:
    appointment = get_visible_appointment(user=user, public_id=public_id)
    return appointment if calls.may_join(appointment=appointment, participant=None, user=user) else None


async def agent_call_events(request: HttpRequest, public_id: UUID) -> HttpResponseBase:
    """The agent's call page: only the consult's own agent, while the consult runs."""
    if not _served_by_asgi(request):
        return HttpResponse(status=503)
    user = await request.auser()
    session = _call_session(request)
    if not user.is_authenticated or session is None:
        return HttpResponse(status=403)
    try:
        appointment = await sync_to_async(_agents_consult)(user, public_id)
    except Http404:
        appointment = None
    if appointment is None:
        await _release_request_connections()
        return HttpResponse(status=403)
    return await _call_stream(appointment, None, session)
