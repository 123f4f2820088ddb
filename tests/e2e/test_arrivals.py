"""Arrivals on every page of an agent, in Chromium: the banner, the title, the bell, what screen readers hear,
and the browser notification, asked for by a button and shown while the page is hidden."""

from types import SimpleNamespace

import pytest

from tests.e2e.conftest import check_accessibility, log_in, record_announcements, wait_until, watched_page
from tests.factories import agent_of
from tests.processes import uvicorn_server

BELLS = "window.bells = []; document.addEventListener('waitingroom:bell', (e) => window.bells.push(e.detail))"

# Headless Chromium never hides a page (no window is ever covered or minimised), so the test says when
# the page counts as hidden; and it records each notification the page shows, which the real
# Notification then shows as always, and each time the page asks for permission.
BROWSER_SPIES = """
window.pageHidden = false;
Object.defineProperty(Document.prototype, "visibilityState", {
  configurable: true, get: () => (window.pageHidden ? "hidden" : "visible"),
});
window.shown = [];
window.permissionAsks = 0;
const RealNotification = window.Notification;
const ask = RealNotification.requestPermission.bind(RealNotification);
window.Notification = class extends RealNotification {
  constructor(title, options) {
    super(title, options);
    window.shown.push({ title, body: options.body });
  }
  static requestPermission() {
    window.permissionAsks += 1;
    return ask();
  }
};
"""


@pytest.fixture
def streaming_server(transactional_db, tmp_path):
    """The app under uvicorn, as production serves the event streams; one process, events within it."""
    with uvicorn_server(var_dir=tmp_path / "var") as url:
        yield SimpleNamespace(url=url)


def open_overview(page, user, password) -> None:
    log_in(page, user.email, password)
    page.goto("/")
    page.evaluate(BELLS)


def test_an_arrival_reaches_the_agent_on_the_overview_and_not_a_colleague(
    browser, streaming_server, agent, team, password, consult
):
    participant = consult.participants.get()
    colleague = agent_of(team, full_name="Dr. Other")
    with (
        watched_page(browser, streaming_server, viewport={"width": 1280, "height": 900}) as page,
        watched_page(browser, streaming_server) as other,
        watched_page(browser, streaming_server) as client,
    ):
        open_overview(page, agent, password)
        open_overview(other, colleague, password)
        for listening in (page, other):
            listening.locator("[data-arrivals-bar][data-live=open]").wait_for(state="attached")
        record_announcements(page, "[data-arrivals-announcer]")
        # The keyboard is in the menu: the arrival must not take it away.
        page.focus(".mainnav a[href='/agenda/']")
        fetched_by_other = []
        other.on("response", lambda r: fetched_by_other.append(r) if "/waiting-room/arrivals/" in r.url else None)

        client.goto(f"/join/{participant.token}/")
        client.locator("[data-join][data-live=open]").wait_for()
        check_accessibility(client)

        bar = page.locator("[data-arrivals-bar]")
        bar.wait_for()
        assert page.title().startswith("(1) Overview")
        assert "Jan Peters" in bar.inner_text() and "Intake" in bar.inner_text()
        assert bar.locator("a", has_text="Jan Peters").get_attribute("href").startswith("/waiting-room/#consult-")
        wait_until(page, "window.bells.length === 1")
        assert page.evaluate("window.bells[0].participants") == [participant.pk]
        wait_until(page, "window.said.length === 1")
        assert page.evaluate("window.said[0]").startswith("Jan Peters is waiting for Intake at ")
        assert page.evaluate("document.activeElement.getAttribute('href')") == "/agenda/"
        check_accessibility(page)

        # The colleague's page heard the team's event and asked, and was told of no one.
        for _ in range(50):
            if fetched_by_other:
                break
            other.wait_for_timeout(100)
        assert fetched_by_other
        other.wait_for_timeout(300)  # the answer applied, had it named anyone
        assert other.locator("[data-arrivals-bar]").is_hidden()
        assert not other.title().startswith("(")
        assert other.evaluate("window.bells.length") == 0
        check_accessibility(other)

        # Hidden by keyboard, it stays hidden on the next page, while the title still counts.
        page.focus("[data-arrivals-dismiss]")
        page.keyboard.press("Enter")
        assert bar.is_hidden()
        page.goto("/agenda/")
        page.evaluate(BELLS)
        page.locator("[data-arrivals-bar][data-live=open]").wait_for(state="attached")
        wait_until(page, "document.title.startsWith('(1) Agenda')")
        assert page.locator("[data-arrivals-bar]").is_hidden()
        check_accessibility(page)

        # The client leaves and comes back: the banner is back and the bell rings again, once.
        client.goto("about:blank")
        wait_until(page, "document.title.startsWith('Agenda')")
        client.goto(f"/join/{participant.token}/")
        page.locator("[data-arrivals-bar]").wait_for()
        wait_until(page, "window.bells.length === 1")
        wait_until(page, "document.title.startsWith('(1) Agenda')")
        check_accessibility(client)


def test_no_arrivals_banner_on_the_waiting_room_which_shows_its_own(page, agent, password, consult):
    participant = consult.participants.get()
    log_in(page, agent.email, password)
    page.goto("/waiting-room/")
    page.evaluate(BELLS)
    with watched_page(page.context.browser, SimpleNamespace(url=page.url.split("/waiting-room/")[0])) as client:
        client.goto(f"/join/{participant.token}/")
        page.locator("[data-arrivals]").wait_for()
        wait_until(page, "window.bells.length === 1")
        page.wait_for_timeout(500)
        assert page.locator("[data-arrivals-bar]").count() == 0
        assert page.evaluate("window.bells.length") == 1
        check_accessibility(client)
    check_accessibility(page)


def test_a_notification_when_asked_for_and_the_page_is_hidden(browser, live_server, agent, password, consult):
    participant = consult.participants.get()
    with (
        watched_page(
            browser, live_server, viewport={"width": 320, "height": 700}, permissions=["notifications"]
        ) as page,
        watched_page(browser, live_server) as client,
    ):
        page.add_init_script(BROWSER_SPIES)
        log_in(page, agent.email, password)
        page.goto("/waiting-room/")
        button = page.locator("[data-notify-toggle]")
        assert button.get_attribute("aria-pressed") == "false"
        assert page.evaluate("window.permissionAsks") == 0  # never asked before the click
        check_accessibility(page)
        button.click()
        wait_until(page, "document.querySelector('[data-notify-toggle]').ariaPressed === 'true'")
        assert page.evaluate("window.permissionAsks") == 1
        assert button.inner_text() == "Stop browser notifications"
        check_accessibility(page)
        # The waiting room itself, in a tab out of view, tells too.
        page.evaluate("window.pageHidden = true")
        client.goto(f"/join/{participant.token}/")
        wait_until(page, "window.shown.length === 1")
        check_accessibility(client)
        client.goto("about:blank")
        wait_until(page, "document.title.startsWith('Waiting room')")

        # Another page, no stream (the test server answers event streams with 503): the page polls.
        page.goto("/agenda/")
        page.locator("[data-arrivals-bar][data-live=down]").wait_for(state="attached")
        check_accessibility(page)
        # Seen on the page: the banner says it, and no notification is shown.
        client.goto(f"/join/{participant.token}/")
        page.locator("[data-arrivals-bar]").wait_for(timeout=15_000)
        check_accessibility(page)
        check_accessibility(client)
        assert page.evaluate("window.shown") == []

        client.goto("about:blank")
        wait_until(page, "document.title.startsWith('Agenda')", timeout=15)
        page.evaluate("window.pageHidden = true")
        client.goto(f"/join/{participant.token}/")
        wait_until(page, "window.shown.length === 1", timeout=15)
        shown = page.evaluate("window.shown[0]")
        assert shown["title"] == "A client is waiting"
        assert shown["body"].startswith("A client is waiting for the consult at ")
        # On a shared or locked screen the notification names no client.
        assert "Jan Peters" not in shown["body"]


def test_a_refused_permission_is_said_and_the_button_stays_off(page, agent, password):
    page.add_init_script(BROWSER_SPIES)
    log_in(page, agent.email, password)
    page.goto("/waiting-room/")
    # Headless Chromium refuses a permission nobody granted, as a person would by pressing Block.
    page.click("[data-notify-toggle]")
    page.locator("[data-notify-note]", has_text="The browser blocks notifications").wait_for()
    assert page.get_attribute("[data-notify-toggle]", "aria-pressed") == "false"
    assert page.evaluate("window.permissionAsks") == 1
    check_accessibility(page)
