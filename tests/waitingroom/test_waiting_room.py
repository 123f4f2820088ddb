"""The waiting room without a browser: presence, messages, starting and ending, who sees what."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from scheduling.services import cancel_appointment
from tests.factories import TeamFactory, agent_of, assistant_of
from videoproviders import locmem
from waitingroom.models import Presence


def check_in(client, participant):
    return client.post(reverse("waitingroom:presence", args=[participant.token]))


def state(client):
    return client.get(reverse("waitingroom:waiting-room-state")).json()


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def test_a_client_with_the_page_open_is_waiting_and_rings_once(agent_client, participant, django_user_model):
    assert state(agent_client)["waiting"] == []
    anonymous = agent_client.__class__()
    assert check_in(anonymous, participant).json()["state"] == "waiting"
    data = state(agent_client)
    assert data["waiting"] == [participant.pk]
    assert "person--waiting" in data["html"] and "waiting since" in data["html"]
    presence = Presence.objects.get(participant=participant)
    arrived = presence.arrived_at
    check_in(anonymous, participant)
    presence.refresh_from_db()
    assert presence.arrived_at == arrived  # still the same stay: no second bell
    assert presence.first_opened_at <= arrived


def test_who_waits_is_counted_in_the_title_and_named_in_a_banner(agent_client, participant, consult):
    page = agent_client.get(reverse("waitingroom:waiting-room")).content.decode()
    assert "<title>Waiting room ·" in page and "data-arrivals" not in page
    check_in(agent_client.__class__(), participant)
    page = agent_client.get(reverse("waitingroom:waiting-room")).content.decode()
    assert "<title>(1) Waiting room ·" in page  # also without JavaScript, on every load
    html = state(agent_client)["html"]
    start = timezone.localtime(consult.start, consult.organisation.tzinfo).strftime("%H:%M")
    assert "1 client is waiting" in html and f'href="#consult-{consult.public_id}"' in html
    # The sentence that screen readers hear when this client arrives, in the page's language.
    assert f'data-arrival="{participant.pk}"' in html
    assert f'data-announce="{participant.name} is waiting for {consult.subject} at {start}."' in html


def test_the_arrival_signals_speak_dutch(agent_client, participant, consult, settings):
    agent_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"  # as logging in sets it for a Dutch user
    check_in(agent_client.__class__(), participant)
    page = agent_client.get(reverse("waitingroom:waiting-room")).content.decode()
    start = timezone.localtime(consult.start, consult.organisation.tzinfo).strftime("%H:%M")
    assert "<title>(1) Wachtkamer ·" in page and "Geluid aanzetten" in page
    assert "1 cliënt wacht" in page
    assert f'data-announce="{participant.name} wacht: {consult.subject} om {start}."' in page
    join = agent_client.get(reverse("waitingroom:join", args=[participant.token]) + "?lang=nl").content.decode()
    assert 'data-text-message="Bericht van uw behandelaar: {text}"' in join


def test_closing_the_page_makes_the_dot_red(agent_client, participant, client):
    anonymous = agent_client.__class__()
    check_in(anonymous, participant)
    assert anonymous.post(reverse("waitingroom:leave", args=[participant.token])).status_code == 204
    data = state(agent_client)
    assert data["waiting"] == []
    assert "not there yet" in data["html"]
    assert Presence.objects.get(participant=participant).left_at is not None


def test_a_page_that_stops_checking_in_is_no_longer_waiting(agent_client, participant, settings):
    anonymous = agent_client.__class__()
    check_in(anonymous, participant)
    Presence.objects.update(
        last_seen_at=timezone.now() - timedelta(seconds=settings.WAITING_PRESENCE_TIMEOUT_SECONDS + 1)
    )
    assert state(agent_client)["waiting"] == []
    check_in(anonymous, participant)  # back: a new arrival
    assert state(agent_client)["waiting"] == [participant.pk]


def test_a_message_reaches_the_waiting_client_as_text(agent_client, participant):
    text = "Running <b>ten</b> minutes late"
    response = agent_client.post(
        reverse("waitingroom:message", args=[participant.appointment.public_id]),
        {"text": text},
        headers={"Accept": "application/json"},
    )
    assert response.json() == {"ok": True}
    anonymous = agent_client.__class__()
    messages = check_in(anonymous, participant).json()["messages"]
    assert [m["text"] for m in messages] == [text]
    page = anonymous.get(reverse("waitingroom:join", args=[participant.token])).content.decode()
    assert "Running &lt;b&gt;ten&lt;/b&gt; minutes late" in page


def test_a_too_long_or_empty_message_is_refused_with_a_reason(agent_client, consult):
    url = reverse("waitingroom:message", args=[consult.public_id])
    too_long = agent_client.post(url, {"text": "x" * 281}, headers={"Accept": "application/json"})
    assert too_long.status_code == 400 and "at most 280" in too_long.json()["error"]
    empty = agent_client.post(url, {"text": "   "}, headers={"Accept": "application/json"})
    assert empty.json()["error"] == "Type a message first."


def test_online_consult_sends_the_waiting_client_to_the_participant_url(agent_client, participant, consult):
    anonymous = agent_client.__class__()
    check_in(anonymous, participant)
    host = agent_client.post(reverse("waitingroom:start", args=[consult.public_id]))["Location"]
    data = check_in(anonymous, participant).json()
    assert data["state"] == "room"
    assert data["room_url"] == f"{locmem.rooms[0].participant_url}?name=Chris Client&lang=en"
    assert host not in data["room_url"]
    assert Presence.objects.get(participant=participant).admitted_at is not None
    assert "in the video room" in state(agent_client)["html"]


def test_ending_the_consult(agent_client, participant, consult):
    agent_client.post(reverse("waitingroom:start", args=[consult.public_id]))
    response = agent_client.post(reverse("waitingroom:end", args=[consult.public_id]))
    assert response.status_code == 302
    consult.refresh_from_db()
    assert consult.ended_at is not None and not consult.is_active
    assert check_in(agent_client.__class__(), participant).json()["state"] == "ended"


def test_cancelled_and_expired_links_say_so_to_the_page(client, participant, consult, assistant):
    cancel_appointment(appointment=consult, cancelled_by=assistant)
    assert check_in(client, participant).json() == {"state": "cancelled"}


def test_expired_link(client, participant, consult):
    consult.start = timezone.now() - timedelta(hours=3)
    consult.end = consult.start + timedelta(minutes=30)
    consult.save()
    assert check_in(client, participant).json() == {"state": "expired"}


def test_an_unknown_token_is_404(client, db):
    assert client.post(reverse("waitingroom:presence", args=["nope"])).status_code == 404


def test_repeated_wrong_tokens_from_one_address_are_slowed(client, participant, settings):
    settings.JOIN_TOKEN_MISSES_ALLOWED = 5
    for n in range(5):
        assert client.get(reverse("waitingroom:join", args=[f"guess-{n}"])).status_code == 404
    blocked = client.get(reverse("waitingroom:join", args=[participant.token]))
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.content.decode()
    assert check_in(client, participant).status_code == 429
    other_address = client.get(reverse("waitingroom:join", args=[participant.token]), REMOTE_ADDR="10.1.2.3")
    assert other_address.status_code == 200


def test_an_agent_sees_only_their_own_consults_and_not_another_teams(client, consult, participant):
    outsider = agent_of(TeamFactory(organisation=consult.organisation), full_name="Other Agent")
    client.force_login(outsider)
    page = client.get(reverse("waitingroom:waiting-room")).content.decode()
    assert consult.subject not in page
    url = reverse("waitingroom:message", args=[consult.public_id])
    assert client.post(url, {"text": "hello"}).status_code == 404
    assert client.post(reverse("waitingroom:end", args=[consult.public_id])).status_code == 404


def test_an_assistant_of_the_team_sees_the_waiting_room_and_can_message(assistant_client, consult, participant):
    page = assistant_client.get(reverse("waitingroom:waiting-room")).content.decode()
    assert consult.subject in page and "Dr. Alex Agent" in page
    # The button that opens the room as host is the agent's only.
    assert reverse("waitingroom:start", args=[consult.public_id]) not in page
    response = assistant_client.post(reverse("waitingroom:message", args=[consult.public_id]), {"text": "Nearly"})
    assert response.status_code == 302


def test_someone_of_another_organisation_sees_nothing(client, consult):
    client.force_login(assistant_of(TeamFactory()))
    assert consult.subject not in client.get(reverse("waitingroom:waiting-room")).content.decode()


def test_the_client_can_switch_language(client, participant):
    page = client.get(reverse("waitingroom:join", args=[participant.token]) + "?lang=nl").content.decode()
    assert "Welkom, Chris Client" in page


def test_a_check_in_still_on_its_way_when_the_page_said_goodbye_does_not_bring_the_client_back(
    agent_client, participant
):
    page = "page-0001-abcd"
    presence_url = reverse("waitingroom:presence", args=[participant.token])
    Client().post(f"{presence_url}?page={page}")
    assert state(agent_client)["waiting"] == [participant.pk]
    Client().post(reverse("waitingroom:leave", args=[participant.token]) + f"?page={page}")
    # The same page's last check-in arrives after its goodbye: it stays gone.
    Client().post(f"{presence_url}?page={page}")
    assert state(agent_client)["waiting"] == []
    # The client opens the link again: a new page, waiting again.
    Client().post(f"{presence_url}?page=page-0002-abcd")
    assert state(agent_client)["waiting"] == [participant.pk]
