"""The statistics page in a browser: the charts and the table of a past week, reached from the main
navigation, checked for accessibility on a computer and at a phone's 320 pixels, where the table scrolls by
keyboard."""

import os

from tests.e2e.conftest import check_accessibility, log_in, watched_page
from tests.factories import PASSWORD, admin_of
from tests.reports.scene import build

SHOTS = os.environ.get("STATISTICS_SCREENSHOTS")


def test_admin_reads_the_week_in_charts_and_table(page, organisation):
    scene = build(organisation)
    admin = admin_of(organisation, full_name="Ada Admin")
    log_in(page, admin.email, PASSWORD)
    page.get_by_role("link", name="Statistics").click()
    page.wait_for_url("**/statistics/")
    check_accessibility(page)
    page.goto(f"/statistics/?period=week&date={scene.monday.isoformat()}")
    check_accessibility(page)
    ann = page.get_by_role("row", name="Ann Agent · Adults")
    assert ann.get_by_role("cell").all_inner_texts()[:6] == ["7", "3", "1", "1", "4.0", "8.0"]
    consults = page.get_by_role("figure", name="Consults")
    assert "3 held, 1 no-shows, 1 cancelled late" in consults.inner_text()
    assert page.locator("figure.chart").count() == 5
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/statistics-1280.png", full_page=True)
    # On a computer the whole table fits beside nothing to scroll.
    region = page.get_by_role("region", name="The figures per agent")
    assert region.evaluate("e => e.scrollWidth <= e.clientWidth")


def test_agent_reads_their_own_week_on_a_narrow_phone(browser, live_server, organisation):
    scene = build(organisation)
    with watched_page(browser, live_server, viewport={"width": 320, "height": 640}, is_mobile=True) as page:
        log_in(page, scene.ann.email, PASSWORD)
        page.goto(f"/statistics/?period=week&date={scene.monday.isoformat()}")
        check_accessibility(page)
        assert page.get_by_role("row", name="Ann Agent").is_visible()
        assert page.get_by_role("row", name="Bob Agent").count() == 0
        # Nothing but the table's own scroller is wider than the screen.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/statistics-320.png", full_page=True)
        # There the table scrolls sideways, by keyboard too once Tab has reached it.
        region = page.get_by_role("region", name="The figures per agent")
        for _ in range(30):
            if region.evaluate("e => e === document.activeElement"):
                break
            page.keyboard.press("Tab")
        assert region.evaluate("e => e === document.activeElement")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        # The browser scrolls after the key press, not within it (smoothly, where it animates).
        page.wait_for_function("e => e.scrollLeft > 0", arg=region.element_handle(), timeout=5000)
