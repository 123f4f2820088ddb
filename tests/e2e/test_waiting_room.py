"""The live waiting room with two browsers: the agent's waiting room and the client's link."""

import pytest

from tests.e2e.conftest import (
    book_soon,
    check_accessibility,
    log_in,
    record_announcements,
    wait_until,
    watched_page,
)
from videoproviders.models import AgentVideoAccount
from waitingroom.services import start_consult

BELLS = "window.bells = []; document.addEventListener('waitingroom:bell', (e) => window.bells.push(e.detail))"


@pytest.fixture
def two_clients(assistant, agent, team):
    """A consult in a few minutes with the built-in rooms and two clients: once it runs, arrivals knock."""
    AgentVideoAccount.objects.create(agent=agent, provider="builtin")
    return book_soon(assistant=assistant, agent=agent, team=team, clients=("Jan Peters", "Piet Late"))


def test_arrival_bell_message_leaving_and_starting_the_consult(page, phone_page, agent, password, consult):
    participant = consult.participants.get()
    log_in(page, agent.email, password)
    page.goto("/waiting-room/")
    page.evaluate(BELLS)
    person = page.locator(f"[data-participant='{participant.pk}']")
    assert "not there yet" in person.inner_text()
    check_accessibility(page)

    # The client opens the link: the dot turns green and the bell event fires.
    phone_page.route("https://video.test/**", lambda route: route.fulfill(body="<h1>video room</h1>"))
    phone_page.goto(f"/join/{participant.token}/")
    page.locator(f"[data-participant='{participant.pk}'].person--waiting").wait_for()
    wait_until(page, "window.bells.length === 1")
    assert page.evaluate("window.bells[0].participants") == [participant.pk]
    check_accessibility(phone_page)
    check_accessibility(page)  # with the client waiting

    # The camera check works with the fake devices.
    phone_page.click("[data-start-check]")
    phone_page.locator("[data-device-help]:not([hidden])").wait_for()
    assert "Camera and microphone work" in phone_page.inner_text("[data-device-help]")
    check_accessibility(phone_page)

    # A message from the agent appears on the client's page, as text.
    page.click("details.balloon summary")
    page.fill("details.balloon input[name=text]", "Running <i>ten</i> minutes late")
    page.click("details.balloon button[type=submit]")
    phone_page.locator("[data-messages] li").wait_for()
    assert "Running <i>ten</i> minutes late" in phone_page.inner_text("[data-messages]")
    check_accessibility(phone_page)
    check_accessibility(page)  # the message form open

    # The client closes the page: the dot turns red. Coming back rings again.
    phone_page.goto("about:blank")
    page.locator(f"[data-participant='{participant.pk}']:not(.person--waiting)").wait_for()
    phone_page.goto(f"/join/{participant.token}/")
    wait_until(page, "window.bells.length === 2")

    # Online consult: the agent goes to the host URL, the client to the participant URL of the same room.
    with page.expect_response(lambda r: "/start/" in r.url) as started:
        page.click("form.startform button")
    assert started.value.headers["location"].startswith("https://video.test/room-")
    room = started.value.headers["location"].split("?")[0]
    phone_page.wait_for_url(f"{room}?**")
    assert "lang=en" in phone_page.url and "host-key" not in phone_page.url


def refreshes(page, path: str, count: int) -> None:
    """Wait until the page has asked its view `count` more times (a refresh, whether anything changed or not)."""
    for _ in range(count):
        with page.expect_response(lambda r: path in r.url, timeout=15_000):
            pass


def test_an_arrival_is_counted_in_the_title_shown_in_a_banner_and_said_once(page, phone_page, agent, password, consult):
    """Django's test server has no event stream (WSGI), so this is the page polling, the fallback."""
    participant = consult.participants.get()
    log_in(page, agent.email, password)
    page.goto("/waiting-room/")
    page.locator("[data-waiting-room][data-live=down]").wait_for(state="attached")
    assert page.title().startswith("Waiting room · ")
    assert page.locator("[data-arrivals]").count() == 0
    record_announcements(page)
    # The keyboard is on the consult's Message button when the client arrives.
    page.focus(f"#consult-{consult.public_id} details.balloon summary")
    page.evaluate("window.focusedBefore = document.activeElement")

    phone_page.goto(f"/join/{participant.token}/")
    page.locator(f"[data-participant='{participant.pk}'].person--waiting").wait_for()
    assert page.evaluate("document.activeElement === window.focusedBefore && window.focusedBefore.isConnected")
    wait_until(page, "document.title.startsWith('(1) Waiting room · ')")
    banner = page.locator("[data-arrivals]")
    assert banner.is_visible()
    assert "1 client is waiting" in banner.inner_text() and "Jan Peters" in banner.inner_text()
    check_accessibility(page)  # the banner and the title with the client waiting
    check_accessibility(phone_page)
    start = consult.start.astimezone(consult.organisation.tzinfo).strftime("%H:%M")
    wait_until(page, "window.said.length === 1")
    assert page.evaluate("window.said") == [f"Jan Peters is waiting for Intake at {start}."]

    # Refreshes that bring nothing new say nothing, and leave the keyboard where it was.
    refreshes(page, "/waiting-room/state/", 2)
    assert page.evaluate("window.said.length") == 1
    assert page.evaluate("document.activeElement === window.focusedBefore")

    # Nobody waits any more: the title goes back and the banner goes away.
    phone_page.goto("about:blank")
    wait_until(page, "document.title.startsWith('Waiting room · ')")
    banner.wait_for(state="detached")


def test_the_sound_button_says_what_it_does_and_shows_its_state(page, agent, password, consult):
    log_in(page, agent.email, password)
    page.goto("/waiting-room/")
    check_accessibility(page)
    toggle = page.locator("[data-sound-toggle]")
    assert toggle.get_attribute("aria-pressed") == "false" and toggle.inner_text() == "Turn sound on"
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-pressed") == "true" and toggle.inner_text() == "Turn sound off"
    check_accessibility(page)
    page.reload()  # the choice is remembered
    assert toggle.get_attribute("aria-pressed") == "true" and toggle.inner_text() == "Turn sound off"
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "false" and toggle.inner_text() == "Turn sound on"


def test_the_clients_page_says_a_message_and_the_camera_result_once(page, phone_page, agent, password, consult):
    participant = consult.participants.get()
    phone_page.goto(f"/join/{participant.token}/")
    record_announcements(phone_page)
    # The waiting status is a live region too: check-ins that change nothing do not write it again.
    phone_page.evaluate(
        "window.statusWrites = 0; new MutationObserver(() => window.statusWrites++)"
        ".observe(document.querySelector('[data-status]'), { childList: true, subtree: true, characterData: true })"
    )
    phone_page.click("[data-start-check]")
    wait_until(phone_page, "window.said.length === 1")
    assert phone_page.evaluate("window.said[0]").startswith("Camera and microphone work.")
    check_accessibility(phone_page)

    log_in(page, agent.email, password)
    page.goto("/waiting-room/")
    page.click("details.balloon summary")
    check_accessibility(page)
    page.fill("details.balloon input[name=text]", "Two minutes, please")
    page.click("details.balloon button[type=submit]")
    wait_until(phone_page, "window.said.length === 2")
    assert phone_page.evaluate("window.said[1]") == "Message from your practitioner: Two minutes, please"
    refreshes(phone_page, "/presence/", 2)
    assert phone_page.evaluate("window.said.length") == 2
    assert phone_page.evaluate("window.statusWrites") == 0


def test_the_keyboard_stays_on_let_in_when_another_client_knocks(
    page, browser, live_server, agent, password, two_clients
):
    jan = two_clients.participants.get(name="Jan Peters")
    piet = two_clients.participants.get(name="Piet Late")
    start_consult(appointment=two_clients, user=agent)  # nobody waits yet: whoever comes now knocks
    log_in(page, agent.email, password)
    page.goto("/waiting-room/")
    record_announcements(page)
    # Each client on a page of their own, checked by axe as every page a browser test visits.
    with watched_page(browser, live_server) as jan_page, watched_page(browser, live_server) as piet_page:
        jan_page.goto(f"/join/{jan.token}/")
        check_accessibility(jan_page)
        let_jan_in = page.get_by_role("button", name="Let Jan Peters in")
        let_jan_in.focus()
        page.evaluate("window.focusedBefore = document.activeElement")
        wait_until(page, "window.said.length === 1")

        piet_page.goto(f"/join/{piet.token}/")
        check_accessibility(piet_page)
        page.get_by_role("button", name="Let Piet Late in").wait_for()
        assert page.evaluate("document.activeElement === window.focusedBefore && window.focusedBefore.isConnected")
        wait_until(page, "window.said.length === 2")
        start = two_clients.start.astimezone(two_clients.organisation.tzinfo).strftime("%H:%M")
        assert page.evaluate("window.said[1]") == f"Piet Late is knocking: Intake at {start}."
        assert page.title().startswith("(2) Waiting room")
        check_accessibility(page)  # two knocking, each with a Let in button
        assert "2 clients are waiting" in page.inner_text("[data-arrivals]")

        # Letting Jan in takes his button away; the keyboard stays in the same consult.
        page.keyboard.press("Enter")
        let_jan_in.wait_for(state="detached")
        assert page.evaluate("document.activeElement.classList.contains('waitlist__subject')")
