import contextlib
import os
import shutil
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from scheduling.services import ParticipantInput, book_appointment
from tests.e2e.accessibility import assert_every_page_checked, check_accessibility, watch_visits

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

# Playwright's sync API runs an event loop in this thread; Django's live server runs in its own thread,
# and the test's own database calls are plain synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            if not shutil.which(CHROMIUM):
                item.add_marker(pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM} (apt-get install chromium)"))


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                # A camera and microphone that exist, and permission granted, for the waiting room.
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                # Video calls between two pages offer 127.0.0.1 candidates, and the built-in rooms' test mode
                # keeps to those: no test packet leaves this machine.
                "--allow-loopback-in-peer-connection",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def links_to_live_server(settings, live_server):
    """Join links in pages point at the test server, as SITE_URL does in production."""
    settings.SITE_URL = live_server.url


def watch_policy(page) -> list[str]:
    """Collects what the Content-Security-Policy refused on the page; every browser test asserts it is nothing."""
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    return refused


@contextlib.contextmanager
def watched_page(browser, live_server, **context_options):
    """A page in a browser context of its own; when it closes, nothing was refused by the Content-Security-
    Policy and every page it visited had its accessibility checked."""
    context = browser.new_context(base_url=live_server.url, **context_options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    refused = watch_policy(page)
    watch_visits(page, live_server.url)
    yield page
    context.close()
    assert refused == []
    assert_every_page_checked(page)


@pytest.fixture
def page(browser, live_server):
    with watched_page(browser, live_server, viewport={"width": 1280, "height": 900}) as page:
        yield page


@pytest.fixture
def phone_page(browser, live_server):
    with watched_page(browser, live_server, viewport={"width": 390, "height": 844}, is_mobile=True) as page:
        yield page


def log_in(page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    check_accessibility(page)
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit], form button.button")
    page.wait_for_url("**/")
    check_accessibility(page)


def fill_consult(page, *, day, team, agent, start="09:00", end="09:30", subject="Coaching") -> None:
    """The booking form's consult and one participant by email, as an assistant types them."""
    page.fill("#id_date", day.isoformat())
    page.fill("#id_start_time", start)
    page.fill("#id_end_time", end)
    page.select_option("#id_team", str(team.pk))
    page.select_option("#id_agent", str(agent.pk))
    page.fill("#id_subject", subject)
    page.fill("#id_participants-0-name", "Jan Peters")
    page.fill("#id_participants-0-email", "jan@example.org")


def book_soon(*, assistant, agent, team, clients: tuple[str, ...] = ("Jan Peters",)):
    """A consult "Intake" starting in a few minutes, with clients who get their link from the assistant."""
    start = timezone.now() + timedelta(minutes=3)
    return book_appointment(
        booked_by=assistant,
        team=team,
        agent=agent,
        start=start,
        end=start + timedelta(minutes=30),
        subject="Intake",
        message="See you soon.",
        participants=[ParticipantInput(name=name, channel="link", language="en") for name in clients],
    )


@pytest.fixture
def consult(assistant, agent, team):
    """A consult starting in a few minutes with one client."""
    return book_soon(assistant=assistant, agent=agent, team=team)


def wait_until(page, expression: str, timeout: float = 10.0) -> None:
    """Poll a JavaScript expression from the test until it is true. (Playwright's wait_for_function evaluates
    its predicate with eval inside the page, which the Content-Security-Policy rightly refuses.)"""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {expression}")
        page.wait_for_timeout(50)


_SAID = """(selector) => {
  window.said = [];
  const region = document.querySelector(selector);
  new MutationObserver(() => { if (region.textContent) window.said.push(region.textContent); })
    .observe(region, { childList: true, subtree: true, characterData: true });
}"""


def record_announcements(page, selector: str = "[data-announcer]") -> None:
    """Collect in window.said what the page's live region says to screen readers, one entry per announcement
    (static/js/live.js, window.announce)."""
    page.evaluate(_SAID, selector)
