"""By keyboard alone, as someone who cannot use a mouse: an assistant books a consult (every field reached
with Tab, filled by typing, a mistake found through the error summary), chooses a filter, and a client goes
through the join page into the call."""

import re

import pytest

from scheduling.models import Appointment
from tests.e2e.conftest import check_accessibility, log_in, watched_page
from waitingroom.services import start_consult


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching `selector` has the focus; fail if the keyboard never gets there."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"Tab never reached {selector}")


def focused(page) -> str:
    return page.evaluate(
        "() => { const e = document.activeElement; return e.id || e.getAttribute('name') || e.dataset.errorSummary"
        " !== undefined && 'error-summary' || e.tagName; }"
    )


@pytest.fixture
def keyboard_page(browser, live_server):
    # Headless Chromium's date and time inputs take the American order: month, day, year; 10:00 AM.
    viewport = {"width": 1280, "height": 900}
    with watched_page(browser, live_server, viewport=viewport, locale="en-US") as page:
        yield page


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def test_an_assistant_books_a_consult_by_keyboard_alone(keyboard_page, assistant, agent, password, tomorrow_at):
    page = keyboard_page
    page.goto("/accounts/login/")
    check_accessibility(page)
    type_into(page, "input[name=username]", assistant.email)
    type_into(page, "input[name=password]", password)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    check_accessibility(page)

    # From the overview to the form: the "New consult" link, by Tab and Enter.
    tab_to(page, "a[href$='/consults/new/']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/consults/new/")
    check_accessibility(page)
    day = tomorrow_at(0)
    type_into(page, "#id_date", day.strftime("%m%d%Y"))
    type_into(page, "#id_start_time", "1000AM")
    type_into(page, "#id_end_time", "1020AM")
    # The only team is chosen already; the agent by typing the start of the name in the closed list.
    type_into(page, "#id_agent", agent.full_name)
    type_into(page, "#id_participants-0-name", "Jan Peters")
    type_into(page, "#id_participants-0-email", "jan@example")  # no domain: refused, nothing lost
    # The subject is left empty. Send: the page comes back at the list of mistakes.
    tab_to(page, "button[name=save]")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-error-summary]")
    assert focused(page) == "error-summary"
    check_accessibility(page)  # the summary and the fields marked invalid
    links = page.locator("[data-error-summary] a")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
        "#id_subject",
        "#id_participants-0-email",
    ]

    # Each link takes the focus into its field; what was typed is still there.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert focused(page) == "id_subject"
    page.keyboard.type("Intake")
    assert page.input_value("#id_participants-0-name") == "Jan Peters"
    tab_to(page, "#id_participants-0-email")
    page.keyboard.press("End")  # Tab selects the whole value; add to it instead
    page.keyboard.type(".org")
    tab_to(page, "button[name=save]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/consults/[0-9a-f-]+/$"))
    check_accessibility(page)

    appointment = Appointment.objects.get()
    assert (appointment.subject, appointment.agent, appointment.start) == ("Intake", agent, tomorrow_at(10))
    assert [p.email for p in appointment.participants.all()] == ["jan@example.org"]


def test_a_filter_chosen_by_keyboard_waits_for_the_button(keyboard_page, assistant, agent, password):
    page = keyboard_page
    log_in(page, assistant.email, password)
    overview = page.url
    tab_to(page, "select[name=agent]")
    # Arrow keys walk through the options; each step is a change, and none may reload the page.
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(300)
    assert page.url == overview
    assert page.input_value("select[name=agent]") == str(agent.pk)
    tab_to(page, ".filters button")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/?team=&agent={agent.pk}")
    check_accessibility(page)
    # With the mouse a choice applies at once.
    page.select_option("select[name=agent]", "")
    page.wait_for_url("**/?team=&agent=")


def test_a_client_goes_through_the_join_page_by_keyboard_alone(browser, live_server, consult, agent):
    """A client on a laptop without a mouse: the language, the camera and sound checks, then into the call."""
    participant = consult.participants.get()
    with watched_page(browser, live_server, viewport={"width": 1024, "height": 800}) as page:
        through_the_join_page(page, participant, consult, agent)


def through_the_join_page(page, participant, consult, agent) -> None:
    page.route("https://video.test/**", lambda route: route.fulfill(body="<h1>video room</h1>"))
    page.goto(f"/join/{participant.token}/?lang=nl")
    check_accessibility(page)

    # The language link, by Tab and Enter.
    tab_to(page, "a[lang=en]")
    page.keyboard.press("Enter")
    page.wait_for_url("**?lang=en")
    check_accessibility(page)
    assert page.inner_text("h1") == f"Welcome, {participant.name}"

    # The camera and microphone test, by Tab and Enter; the result is shown and said.
    tab_to(page, "[data-start-check]")
    page.keyboard.press("Enter")
    page.locator("[data-device-help]:not([hidden])").wait_for()
    assert "Camera and microphone work" in page.inner_text("[data-device-help]")
    tab_to(page, "[data-test-sound]")
    page.keyboard.press("Space")
    check_accessibility(page)

    # The agent starts the consult: the page itself takes the client into the room, nothing to press.
    start_consult(appointment=consult, user=agent)
    page.wait_for_url("https://video.test/**")
