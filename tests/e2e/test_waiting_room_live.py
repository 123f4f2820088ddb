"""The waiting room as in production: uvicorn with two worker processes, live events through Redis.

The agent's page and the client's page may be served by different processes, so an arrival, a message
and the start of the consult only reach the other page through Redis pub/sub. Both pages report that
their live connection is open (data-live), so this is not the polling fallback at work.
"""

import pytest
import redis
from django.conf import settings

from tests.e2e.accessibility import assert_every_page_checked, watch_visits
from tests.e2e.conftest import check_accessibility, log_in, record_announcements, wait_until
from tests.processes import uvicorn_server

BELLS = "window.bells = []; document.addEventListener('waitingroom:bell', (e) => window.bells.push(e.detail))"


@pytest.fixture
def app_url(transactional_db, tmp_path):
    redis_url = (settings.REDIS_URL or "redis://127.0.0.1:6379/0").rsplit("/", 1)[0] + "/12"
    try:
        redis.Redis.from_url(redis_url).ping()
    except redis.ConnectionError:
        pytest.skip(f"Redis is not running at {redis_url} (make run does not need it; CI starts it)")
    # The test settings (fast password hashing, in-memory video rooms) on the test database, two processes.
    with uvicorn_server(var_dir=tmp_path / "var", env={"REDIS_URL": redis_url}, workers=2) as url:
        yield url


def test_the_live_waiting_room_across_two_server_processes(browser, app_url, agent, password, consult):
    participant = consult.participants.get()
    agent_page = browser.new_page(base_url=app_url)
    client_page = browser.new_page(base_url=app_url)
    for page in (agent_page, client_page):
        page.set_default_timeout(10_000)
        watch_visits(page, app_url)
    client_page.route("https://video.test/**", lambda route: route.fulfill(body="<h1>video room</h1>"))

    log_in(agent_page, agent.email, password)
    agent_page.goto("/waiting-room/")
    agent_page.locator("[data-waiting-room][data-live=open]").wait_for()
    check_accessibility(agent_page)
    agent_page.evaluate(BELLS)
    record_announcements(agent_page)
    waiting = f"[data-participant='{participant.pk}'].person--waiting"
    # The keyboard is on the Message button: the arrival changes the list around it, not the focus.
    agent_page.focus("details.balloon summary")
    agent_page.evaluate("window.focusedBefore = document.activeElement")

    client_page.goto(f"/join/{participant.token}/")
    client_page.locator("[data-join][data-live=open]").wait_for()
    check_accessibility(client_page)
    agent_page.locator(waiting).wait_for()
    wait_until(agent_page, "window.bells.length === 1")
    assert agent_page.evaluate("document.activeElement === window.focusedBefore && window.focusedBefore.isConnected")
    assert agent_page.title().startswith("(1) Waiting room")
    assert "Jan Peters" in agent_page.inner_text("[data-arrivals]")
    wait_until(agent_page, "window.said.length === 1")
    assert agent_page.evaluate("window.said[0]").startswith("Jan Peters is waiting for Intake at ")

    agent_page.click("details.balloon summary")
    agent_page.fill("details.balloon input[name=text]", "Two minutes, please")
    # Sending refreshes the list, with no one new: nothing is said again.
    with agent_page.expect_response(lambda r: "/waiting-room/state/" in r.url):
        agent_page.click("details.balloon button[type=submit]")
    client_page.locator("[data-messages] li", has_text="Two minutes, please").wait_for()
    assert agent_page.evaluate("window.said.length") == 1

    client_page.goto("about:blank")  # closing the page closes its live connection
    agent_page.locator(waiting).wait_for(state="detached")
    wait_until(agent_page, "document.title.startsWith('Waiting room')")
    client_page.goto(f"/join/{participant.token}/")
    wait_until(agent_page, "window.bells.length === 2")

    with agent_page.expect_response(lambda r: "/start/" in r.url) as started:
        agent_page.click("form.startform button")
    room = started.value.headers["location"].split("?")[0]
    client_page.wait_for_url(f"{room}?**")
    assert "host-key" not in client_page.url
    agent_page.close()
    client_page.close()
    for page in (agent_page, client_page):
        assert_every_page_checked(page)
