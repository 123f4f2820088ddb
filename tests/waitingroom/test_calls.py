"""Built-in video calls without a browser: who is let in, who may signal to whom, the limits on signalling,
TURN credentials, attendance, and the call that ends when everyone has left. The browsers themselves are
in tests/e2e/test_video_call.py."""

import asyncio
import base64
import hashlib
import hmac
import json
import threading
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import agent_of, assistant_of, link_participant
from videoproviders.builtin import turn_credentials
from videoproviders.models import AgentVideoAccount, VideoRoom
from waitingroom import calls
from waitingroom.events import hub, peer_channel
from waitingroom.models import CallAttendance, Presence


@pytest.fixture
def builtin_agent(agent):
    AgentVideoAccount.objects.create(agent=agent, provider="builtin")
    return agent


@pytest.fixture
def consult(book, builtin_agent):
    start = timezone.now() + timedelta(minutes=5)
    return book(
        link_participant("Jan Peters"), link_participant("Piet Late"), start=start, end=start + timedelta(minutes=30)
    )


@pytest.fixture
def jan(consult):
    return consult.participants.get(name="Jan Peters")


@pytest.fixture
def piet(consult):
    return consult.participants.get(name="Piet Late")


def check_in(participant):
    return Client().post(reverse("waitingroom:presence", args=[participant.token]))


def start(client, consult):
    return client.post(reverse("waitingroom:start", args=[consult.public_id]))


@pytest.fixture
def agent_client(client, builtin_agent):
    client.force_login(builtin_agent)
    return client


@pytest.fixture
def running(agent_client, consult, jan):
    """Jan waited; the agent pressed Online consult."""
    check_in(jan)
    assert start(agent_client, consult).status_code == 302
    consult.refresh_from_db()
    return consult


def test_online_consult_opens_our_own_call_page_and_lets_the_waiting_client_in(agent_client, consult, jan, piet):
    check_in(jan)
    response = start(agent_client, consult)
    assert response["Location"] == reverse("waitingroom:call", args=[consult.public_id])
    assert VideoRoom.objects.get(appointment=consult).provider == "builtin"
    page = agent_client.get(response["Location"])
    assert page.status_code == 200
    assert 'data-role="host"' in page.content.decode()
    # Jan was waiting: in the call. Piet comes later: he knocks.
    assert check_in(jan).json()["state"] == "call"
    assert check_in(piet).json()["state"] == "knocking"


def test_a_late_client_knocks_and_the_agent_lets_them_in(agent_client, running, piet):
    assert check_in(piet).json()["state"] == "knocking"
    state = agent_client.get(reverse("waitingroom:agent-call-state", args=[running.public_id])).json()
    assert state["knocking"] == [{"peer": calls.peer_id(piet), "name": "Piet Late"}]
    # The waiting room beside the call offers to let him in too.
    html = agent_client.get(reverse("waitingroom:waiting-room")).content.decode()
    assert "Let Piet Late in" in html and "knocking since" in html
    response = agent_client.post(
        reverse("waitingroom:call-admit", args=[running.public_id]),
        {"peer": calls.peer_id(piet)},
        HTTP_ACCEPT="application/json",
    )
    assert response.json() == {"ok": True}
    assert check_in(piet).json()["state"] == "call"


def test_the_agent_takes_a_client_out_and_their_page_may_no_longer_join(agent_client, running, jan):
    calls.join(appointment=running, participant=jan, session="jan-page-0001")
    agent_client.post(reverse("waitingroom:call-remove", args=[running.public_id]), {"peer": calls.peer_id(jan)})
    assert check_in(jan).json()["state"] == "removed"
    response = Client().get(reverse("waitingroom:client-call-state", args=[jan.token]) + "?session=jan-page-0001")
    assert response.status_code == 403
    assert CallAttendance.objects.get(session="jan-page-0001").left_at is not None


def test_only_the_consults_agent_leads_its_call(client, running, team, organisation):
    urls = [
        reverse("waitingroom:call", args=[running.public_id]),
        reverse("waitingroom:agent-call-state", args=[running.public_id]),
    ]
    for user in (assistant_of(team), agent_of(team, email="other@example.com")):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code in (403, 404)
        assert client.post(reverse("waitingroom:call-admit", args=[running.public_id]), {"peer": "x"}).status_code in (
            403,
            404,
        )


def test_a_client_not_let_in_gets_no_call_state(running, piet):
    check_in(piet)
    response = Client().get(reverse("waitingroom:client-call-state", args=[piet.token]))
    assert (response.status_code, response.json()) == (403, {"state": "knocking"})


def test_an_unknown_link_gets_nothing_of_the_call(db):
    for name in ("client-call-state", "client-call-signal"):
        url = reverse(f"waitingroom:{name}", args=["x" * 43])
        response = Client().post(url, b"{}", content_type="application/json") if "signal" in name else Client().get(url)
        assert response.status_code in (404, 405)


# --- signalling -----------------------------------------------------------------------------------------


def _signal(running, sender_token, session, **message):
    url = reverse("waitingroom:client-call-signal", args=[sender_token]) + f"?session={session}"
    return Client().post(url, json.dumps(message), content_type="application/json")


def _listen(channel: str, send) -> list:
    """Listen on a channel as a page's stream does (in an event loop of its own), send from this thread (whose
    database transaction holds the test's rows), and return what arrived."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def subscribe():
        return hub.subscribe([channel])

    async def drain(subscription):
        received = []
        try:
            while True:
                received.append(await asyncio.wait_for(subscription.queue.get(), timeout=0.5))
        except TimeoutError:
            pass
        subscription.close()
        return received

    try:
        subscription = asyncio.run_coroutine_threadsafe(subscribe(), loop).result(timeout=5)
        send()
        return asyncio.run_coroutine_threadsafe(drain(subscription), loop).result(timeout=10)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()


def test_a_signal_reaches_only_the_page_it_is_for(agent_client, running, jan):
    calls.join(appointment=running, participant=jan, session="jan-page-0001")
    calls.join(appointment=running, participant=None, session="agent-page-01")
    channel = peer_channel(running.public_id, calls.HOST, "agent-page-01")
    offer = {"type": "offer", "sdp": "v=0"}

    def send():
        response = _signal(
            running, jan.token, "jan-page-0001", to="host", to_session="agent-page-01", kind="description", data=offer
        )
        assert response.status_code == 204

    received = _listen(channel, send)
    assert len(received) == 1
    assert json.loads(received[0].data) == {
        "from": calls.peer_id(jan),
        "from_session": "jan-page-0001",
        "kind": "description",
        "data": offer,
    }


def test_signals_from_outside_the_call_are_refused_and_reach_nobody(agent_client, running, jan, piet):
    calls.join(appointment=running, participant=None, session="agent-page-01")
    message = {"to": "host", "to_session": "agent-page-01", "kind": "candidate", "data": {"candidate": ""}}
    channel = peer_channel(running.public_id, calls.HOST, "agent-page-01")

    def send():
        # Piet was never let in; Jan was, but his page has not joined with this session; a forged link.
        assert _signal(running, piet.token, "piet-page-001", **message).status_code == 403
        assert _signal(running, jan.token, "not-joined-01", **message).status_code == 403
        assert _signal(running, "y" * 43, "jan-page-0001", **message).status_code == 404

    assert _listen(channel, send) == []


def test_signals_are_limited_in_size_form_and_number(agent_client, running, jan, settings):
    calls.join(appointment=running, participant=jan, session="jan-page-0001")
    calls.join(appointment=running, participant=None, session="agent-page-01")
    to = {"to": "host", "to_session": "agent-page-01"}
    huge = {"candidate": "x" * settings.CALL_SIGNAL_MAX_BYTES}
    assert _signal(running, jan.token, "jan-page-0001", **to, kind="candidate", data=huge).status_code == 413
    assert _signal(running, jan.token, "jan-page-0001", **to, kind="shell", data={}).status_code == 400
    # To a page that has just left: dropped quietly (the call ended, a page reloaded).
    gone = {"to": "host", "to_session": "gone-page-01"}
    assert _signal(running, jan.token, "jan-page-0001", **gone, kind="candidate", data={}).status_code == 204
    settings.CALL_SIGNALS_PER_WINDOW = 3
    codes = [
        _signal(running, jan.token, "jan-page-0001", **to, kind="candidate", data={"candidate": ""}).status_code
        for _ in range(5)
    ]
    assert codes[-2:] == [429, 429]


def test_the_call_state_names_the_other_pages_and_gives_turn_credentials_of_ones_own(
    agent_client, running, jan, settings
):
    settings.VIDEO_PROVIDERS = {
        **settings.VIDEO_PROVIDERS,
        "builtin": {
            "BACKEND": "videoproviders.builtin.BuiltinProvider",
            "OPTIONS": {"turn_urls": ["turn:127.0.0.1:3478"], "turn_secret": "shared-secret", "loopback_only": True},
        },
    }
    calls.join(appointment=running, participant=None, session="agent-page-01")
    state = Client().get(reverse("waitingroom:client-call-state", args=[jan.token]) + "?session=jan-page-0001").json()
    assert state["me"] == {"peer": calls.peer_id(jan), "name": "Jan Peters", "host": False}
    assert state["peers"] == [{"peer": "host", "session": "agent-page-01", "name": "Dr. Alex Agent", "host": True}]
    [turn] = state["ice"]["iceServers"]
    username, expiry_peer = turn["username"], turn["username"].split(":", 1)
    assert expiry_peer[1] == calls.peer_id(jan)
    assert int(expiry_peer[0]) == int(running.link_expires_at.timestamp())
    expected = base64.b64encode(hmac.new(b"shared-secret", username.encode(), hashlib.sha1).digest()).decode()
    assert turn["credential"] == expected
    assert "shared-secret" not in json.dumps(state)
    assert state["ice"]["loopbackOnly"] is True


def test_turn_credentials_last_at_least_an_hour_after_they_are_given():
    now = timezone.now()
    username, _password = turn_credentials(secret="s", peer="host", expires_at=now - timedelta(minutes=5), now=now)
    assert int(username.split(":")[0]) == int((now + timedelta(hours=1)).timestamp())


# --- attendance and the end -----------------------------------------------------------------------------


def test_a_reload_replaces_the_same_persons_page(running, jan):
    first = calls.join(appointment=running, participant=jan, session="jan-page-0001")
    second = calls.join(appointment=running, participant=jan, session="jan-page-0002")
    first.refresh_from_db()
    assert first.left_at is not None and second.left_at is None
    assert [p.session for p in calls.peers(appointment=running, session="someone-else")] == ["jan-page-0002"]


def test_a_call_holds_at_most_five_people(running, team):
    from tests.factories import ParticipantFactory

    calls.join(appointment=running, participant=None, session="agent-page-01")
    extra = [ParticipantFactory(appointment=running) for _ in range(5)]
    for number, participant in enumerate(extra[:4]):
        calls.join(appointment=running, participant=participant, session=f"guest-page-{number:03d}")
    with pytest.raises(calls.CallFull):
        calls.join(appointment=running, participant=extra[4], session="guest-page-999")


def test_a_call_nobody_is_in_any_more_ends_after_the_grace(running, jan, settings, django_capture_on_commit_callbacks):
    attendance = calls.join(appointment=running, participant=jan, session="jan-page-0001")
    calls.leave(attendance_id=attendance.pk)
    left = CallAttendance.objects.get(pk=attendance.pk).left_at
    assert calls.end_empty_calls(now=left + timedelta(seconds=settings.CALL_EMPTY_GRACE_SECONDS - 5)) == 0
    running.refresh_from_db()
    assert running.is_active
    assert calls.end_empty_calls(now=left + timedelta(seconds=settings.CALL_EMPTY_GRACE_SECONDS + 5)) == 1
    running.refresh_from_db()
    assert running.ended_at == left and not running.is_active


def test_a_call_someone_is_in_does_not_end(running, jan, settings):
    calls.join(appointment=running, participant=jan, session="jan-page-0001")
    later = timezone.now() + timedelta(seconds=settings.CALL_EMPTY_GRACE_SECONDS * 3)
    assert calls.end_empty_calls(now=later) == 0


def test_a_page_that_went_without_a_goodbye_has_left_when_last_seen(running, jan, settings):
    attendance = calls.join(appointment=running, participant=jan, session="jan-page-0001")
    seen = attendance.last_seen_at
    later = seen + timedelta(seconds=settings.CALL_PRESENCE_TIMEOUT_SECONDS + 1)
    assert calls.close_stale_attendance(now=later) == 1
    assert CallAttendance.objects.get(pk=attendance.pk).left_at == seen


def test_waiting_clients_are_let_in_when_the_consult_starts_but_not_those_who_went(running, jan, piet):
    assert Presence.objects.get(participant=jan).admitted_at is not None
    assert not Presence.objects.filter(participant=piet, admitted_at__isnull=False).exists()


def test_an_expired_link_gets_nothing_of_the_call_even_when_let_in_before(running, jan):
    from scheduling.models import Appointment

    past = timezone.now() - timedelta(hours=3)
    Appointment.objects.filter(pk=running.pk).update(start=past, end=past + timedelta(minutes=30))
    response = Client().get(reverse("waitingroom:client-call-state", args=[jan.token]) + "?session=jan-page-0001")
    assert response.status_code == 404
    message = json.dumps({"to": "host", "to_session": "agent-page-01", "kind": "candidate", "data": {}})
    url = reverse("waitingroom:client-call-signal", args=[jan.token]) + "?session=jan-page-0001"
    assert Client().post(url, message, content_type="application/json").status_code == 404
