"""Each page loads the scripts it uses and no others: the live connection (static/js/live.js) only on the
pages that hold one, before the page scripts that build on it; the booking form's script only on that form."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from videoproviders.models import AgentVideoAccount


def scripts(response) -> list[str]:
    assert response.status_code == 200
    return [src.rsplit("/", 1)[-1] for src in re.findall(r'<script\b[^>]*\bsrc="([^"]+)"', response.content.decode())]


def loaded_in_order(names: list[str], *expected: str) -> bool:
    return all(name in names for name in expected) and [n for n in names if n in expected] == list(expected)


@pytest.fixture
def consult(book):
    start = timezone.now() + timedelta(minutes=5)
    return book(start=start, end=start + timedelta(minutes=30))


def test_the_login_page_loads_only_the_common_script(client, db):
    assert scripts(client.get(reverse("accounts:login"))) == ["app.js"]


@pytest.mark.parametrize("url_name", ["scheduling:dashboard", "scheduling:agenda"])
def test_pages_without_a_live_part_load_no_live_or_video_script(assistant_client, url_name):
    assert scripts(assistant_client.get(reverse(url_name))) == ["app.js", "idle.js"]


def test_the_booking_form_loads_its_own_script_before_the_idle_clock(assistant_client):
    names = scripts(assistant_client.get(reverse("scheduling:appointment-create")))
    # The idle clock puts a draft back into the form, which the form's script must have set up by then.
    assert names == ["app.js", "booking-form.js", "idle.js"]


def test_the_agents_waiting_room_loads_the_shared_live_connection(client, agent):
    client.force_login(agent)
    names = scripts(client.get(reverse("waitingroom:waiting-room")))
    assert loaded_in_order(names, "live.js", "chime.js", "waitingroom-agent.js")
    assert "call.js" not in names and "booking-form.js" not in names


def test_the_clients_page_loads_the_shared_live_connection(consult):
    participant = consult.participants.get()
    names = scripts(Client().get(reverse("waitingroom:join", args=[participant.token])))
    assert loaded_in_order(names, "live.js", "chime.js", "call.js", "waitingroom-client.js")
    assert "waitingroom-agent.js" not in names and "idle.js" not in names and "app.js" not in names


def test_the_agents_call_page_loads_the_shared_live_connection_once(client, agent, consult):
    AgentVideoAccount.objects.create(agent=agent, provider="builtin")
    client.force_login(agent)
    Client().post(reverse("waitingroom:presence", args=[consult.participants.get().token]))
    started = client.post(reverse("waitingroom:start", args=[consult.public_id]))
    names = scripts(client.get(started["Location"]))
    assert loaded_in_order(names, "live.js", "chime.js", "waitingroom-agent.js", "call.js")
    assert names.count("live.js") == 1
