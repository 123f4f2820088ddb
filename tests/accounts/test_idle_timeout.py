"""The idle logout counts only what the person does: a page polling or listening for events by itself neither
keeps the session nor writes its clock, and the page's "still here" endpoint reports typing and the warning's
*Stay signed in*. The browser side is in tests/e2e/test_idle_logout.py."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import SEEN_AT

BACKGROUND = {"HTTP_X_BACKGROUND": "1"}


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def idle_for(client, seconds: int) -> int:
    """Move the session's last activity this far into the past; returns the new value."""
    session = client.session
    session[SEEN_AT] = int(timezone.now().timestamp()) - seconds
    session.save()
    return session[SEEN_AT]


def seen_at(client) -> int:
    return client.session[SEEN_AT]


def test_polling_the_waiting_room_neither_keeps_the_session_nor_moves_its_clock(agent_client, settings):
    seen = idle_for(agent_client, settings.SESSION_IDLE_SECONDS - 30)
    poll = agent_client.get(reverse("waitingroom:waiting-room-state"), **BACKGROUND)
    assert poll.status_code == 200
    assert seen_at(agent_client) == seen

    idle_for(agent_client, settings.SESSION_IDLE_SECONDS + 1)
    poll = agent_client.get(reverse("waitingroom:waiting-room-state"), **BACKGROUND)
    # No redirect for the script to follow into the login page's HTML: it is told, and opens that page itself.
    assert poll.status_code == 401
    assert poll.json() == {"signed_out": True}
    page = agent_client.get(reverse("waitingroom:waiting-room"))
    assert page.status_code == 302 and page["Location"].startswith(reverse("accounts:login"))
    login = agent_client.get(page["Location"])
    assert "logged out after a while without activity" in login.content.decode()


def test_the_waiting_rooms_event_stream_does_not_count_as_activity(agent_client, settings):
    # EventSource cannot send the header; the middleware knows the stream by its URL.
    seen = idle_for(agent_client, settings.SESSION_IDLE_SECONDS - 30)
    agent_client.get(reverse("waitingroom:agent-events"))
    assert seen_at(agent_client) == seen

    idle_for(agent_client, settings.SESSION_IDLE_SECONDS + 1)
    assert agent_client.get(reverse("waitingroom:agent-events")).status_code == 401


def test_a_page_the_person_opens_keeps_the_session(agent_client, settings):
    idle_for(agent_client, settings.SESSION_IDLE_SECONDS - 30)
    assert agent_client.get(reverse("waitingroom:waiting-room")).status_code == 200
    assert seen_at(agent_client) >= int(timezone.now().timestamp()) - 1


def test_stay_signed_in_gives_the_whole_idle_time_again(agent_client, settings):
    # Even within the minute in which the middleware does not write the clock again.
    idle_for(agent_client, 30)
    answer = agent_client.post(reverse("accounts:activity"))
    assert answer.status_code == 200
    assert answer.json()["seconds_left"] in (settings.SESSION_IDLE_SECONDS - 1, settings.SESSION_IDLE_SECONDS)
    assert seen_at(agent_client) >= int(timezone.now().timestamp()) - 1


def test_asking_how_long_is_left_does_not_count_as_activity(agent_client, settings):
    seen = idle_for(agent_client, settings.SESSION_IDLE_SECONDS - 30)
    answer = agent_client.get(reverse("accounts:activity"), **BACKGROUND)
    assert answer.status_code == 200
    assert 28 <= answer.json()["seconds_left"] <= 30
    assert seen_at(agent_client) == seen


def test_activity_reported_after_the_idle_time_does_not_bring_the_session_back(agent_client, settings):
    idle_for(agent_client, settings.SESSION_IDLE_SECONDS + 1)
    answer = agent_client.post(reverse("accounts:activity"))
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("accounts:login"))
    assert agent_client.get(reverse("accounts:activity"), **BACKGROUND).status_code == 401


def test_a_signed_out_page_asking_gets_401_rather_than_the_login_page(client, db):
    answer = client.get(reverse("accounts:activity"), **BACKGROUND)
    assert answer.status_code == 401 and answer.json() == {"signed_out": True}


def test_signed_in_pages_carry_the_idle_clock_and_its_texts(agent_client, settings, agent):
    settings.SESSION_IDLE_SECONDS = 600
    settings.SESSION_IDLE_WARNING_SECONDS = 90
    page = agent_client.get(reverse("waitingroom:waiting-room")).content.decode()
    clock = re.search(r"<dialog [^>]*data-idle-clock[^>]*>", page).group(0)
    assert 'role="alertdialog"' in clock
    assert 'data-idle-seconds="600"' in clock and 'data-warning-seconds="90"' in clock
    assert 598 <= int(re.search(r'data-seconds-left="(\d+)"', clock).group(1)) <= 600
    assert 'data-activity-url="/accounts/activity/"' in clock
    # Drafts name their owner without the sequential user id, and the same way as the endpoint does.
    owner = re.search(r'data-owner="(\w+)"', clock).group(1)
    asked = agent_client.get(reverse("accounts:activity"), **BACKGROUND).json()
    assert owner != str(agent.pk) and owner == asked["owner"]
    assert "Stay signed in" in page and "{time} left before you are signed out." in clock
    assert "You will be signed out in" in page


def test_the_warning_takes_at_most_half_the_idle_time(agent_client, settings):
    settings.SESSION_IDLE_SECONDS = 60
    settings.SESSION_IDLE_WARNING_SECONDS = 120
    page = agent_client.get(reverse("scheduling:dashboard")).content.decode()
    assert 'data-warning-seconds="30"' in page


def test_pages_of_a_visitor_have_no_idle_clock(client, db):
    page = client.get(reverse("accounts:login")).content.decode()
    assert "data-idle-clock" not in page and "idle.js" not in page
