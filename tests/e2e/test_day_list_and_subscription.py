"""The agent's printable day list and calendar subscription page, in Chromium (axe checks every page)."""

import os

from icalendar import Calendar

from scheduling.models import Channel
from tests.e2e.conftest import check_accessibility, log_in
from tests.factories import AppointmentFactory, ParticipantFactory

# Set to a folder to keep screenshots of the pages for a look by eye.
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS")


def screenshot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def test_the_agent_prints_the_day_list_from_the_agenda(page, agent, team, password, tomorrow_at):
    consult = AppointmentFactory(team=team, agent=agent, subject="Intake", start=tomorrow_at(9), end=tomorrow_at(9, 30))
    ParticipantFactory(appointment=consult, name="Jan Peters", channel=Channel.SMS, email="", phone="+31612345678")
    ParticipantFactory(appointment=consult, name="Els Peters", email="els@example.org")
    later = AppointmentFactory(team=team, agent=agent, subject="Follow-up", start=tomorrow_at(14), end=tomorrow_at(15))
    ParticipantFactory(appointment=later, name="Noor Yilmaz", email="noor@example.org")
    log_in(page, agent.email, password)
    page.goto(f"/agenda/?date={tomorrow_at(0).date().isoformat()}")
    check_accessibility(page)
    screenshot(page, "agenda")
    page.click("text=Day list to print")
    page.wait_for_url("**/agenda/day-list/**")
    check_accessibility(page)
    screenshot(page, "day-list")
    rows = page.locator(".daylist__table tbody tr")
    assert rows.count() == 3
    assert "06 12345678" in rows.nth(0).inner_text() and "Jan Peters" in rows.nth(0).inner_text()

    # The Print button asks the browser to print (stood in for here: headless Chromium has no dialog).
    page.evaluate("window.print = () => { window.printAsked = true; }")
    page.click("button[data-print]")
    assert page.evaluate("window.printAsked") is True

    page.emulate_media(media="print")
    screenshot(page, "day-list-print")
    assert page.locator(".topbar").is_hidden()
    assert page.locator("button[data-print]").is_hidden()
    assert page.locator(".daynav").is_hidden()
    assert page.locator(".daylist__table").is_visible()
    body = page.evaluate("getComputedStyle(document.body).backgroundColor")
    text = page.evaluate("getComputedStyle(document.querySelector('.daylist__table td')).color")
    breaks = page.evaluate("getComputedStyle(document.querySelector('.daylist__consult')).breakInside")
    assert (body, text, breaks) == ("rgb(255, 255, 255)", "rgb(0, 0, 0)", "avoid")
    check_accessibility(page)
    page.emulate_media(media="screen")
    assert page.locator(".topbar").is_visible()


def test_the_agent_makes_a_subscription_url_from_the_user_menu_and_a_calendar_reads_it(
    page, agent, team, password, tomorrow_at
):
    AppointmentFactory(team=team, agent=agent, subject="Intake", start=tomorrow_at(9), end=tomorrow_at(9, 30))
    log_in(page, agent.email, password)
    page.click(".usermenu summary")
    page.click("text=Calendar subscription")
    page.wait_for_url("**/calendar/subscription/")
    check_accessibility(page)
    screenshot(page, "subscription-off")
    page.click("button[value=create]")
    url = page.input_value("#feed-url")
    assert page.get_attribute("a[href^='webcal://']", "href") == "webcal://" + url.split("://", 1)[1]
    check_accessibility(page)
    screenshot(page, "subscription-new")
    feed = page.request.get(url)
    assert feed.status == 200
    assert [str(e["summary"]) for e in Calendar.from_ical(feed.body()).walk("VEVENT")] == ["Intake"]

    page.reload()
    assert page.locator("#feed-url").count() == 0
    screenshot(page, "subscription-on")
    page.click("button[value=revoke]")
    page.wait_for_selector(".messages")
    check_accessibility(page)
    assert page.request.get(url).status == 404
