"""Accessibility that a browser can see: axe with a light brand colour on every kind of page, reflow at
320 px and at 200 % text, touch targets on the client's page, and a focus ring that stands out."""

import os
import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.colours import contrast_ratio
from tests.accounts.test_mfa import app_code
from tests.e2e.conftest import check_accessibility, log_in

# Set to a folder to keep screenshots of the narrow and enlarged pages for a look by eye.
SCREENSHOTS = os.environ.get("SCREENSHOTS", "")

LONG_NAME = "Johanna Wilhelmina Theodora Oldenbarneveltschimmelpenninckvandermeulenhoven"

# The page's width against what it lays out: more means the page scrolls sideways.
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"

# Text and controls that stick out of their card on the right (a long word in a flex row did, "appointment"
# in Recurring appointment at 200 % text on a phone), by what they say.
SPILLS = r"""[...document.querySelectorAll('.card *')]
    .filter((e) => e.getClientRects().length > 0)
    .filter((e) => e.getBoundingClientRect().right > e.closest('.card').getBoundingClientRect().right + 1)
    .map((e) => (e.textContent || e.name || e.tagName).trim().split(/\s+/).join(' ').slice(0, 40))"""

# How much of the screen the top bar covers once the page is scrolled (it was held in view and, wrapped to
# many lines at 200 % text on a phone, covered all of it).
TOPBAR_SHARE = """(() => { window.scrollTo(0, 1500);
    const r = document.querySelector('.topbar').getBoundingClientRect();
    const covered = Math.max(0, Math.min(r.bottom, innerHeight) - Math.max(r.top, 0)); window.scrollTo(0, 0);
    return covered / innerHeight; })()"""

# Links and buttons a person can see on the client's card, with their size on screen.
TARGETS = """[...document.querySelectorAll('.public__card a, .public__card button')]
    .filter((e) => e.getClientRects().length > 0)
    .map((e) => { const r = e.getBoundingClientRect();
                  return {text: e.textContent.trim(), width: r.width, height: r.height}; })"""

# The focused element's outline colour and the colour behind it (the first ancestor with a background).
FOCUS_RING = """() => {
    const element = document.activeElement;
    let behind = element.parentElement;
    while (behind && getComputedStyle(behind).backgroundColor === 'rgba(0, 0, 0, 0)') behind = behind.parentElement;
    const style = getComputedStyle(element);
    return {text: element.textContent.trim(), style: style.outlineStyle, width: style.outlineWidth,
            ring: style.outlineColor, behind: behind ? getComputedStyle(behind).backgroundColor : 'rgb(255, 255, 255)'};
}"""


def screenshot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def hex_colour(css: str) -> str:
    red, green, blue = (int(value) for value in re.findall(r"\d+", css)[:3])
    return f"#{red:02x}{green:02x}{blue:02x}"


def give_password(page, email: str, password: str) -> None:
    """The first step of a fresh login, where the second step (an authenticator app) follows."""
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("form button.button")


@pytest.fixture
def light_brand(organisation):
    organisation.primary_colour = "#ffd700"
    organisation.contact_phone = "020 123 4567"
    organisation.contact_email = "info@example.org"
    organisation.save()
    return organisation


def test_every_kind_of_page_passes_axe_with_a_light_brand_colour(
    page, phone_page, light_brand, assistant, agent, password, consult
):
    participant = consult.participants.get()
    # The client: the join page, then with the camera test running.
    phone_page.goto(f"/join/{participant.token}/")
    check_accessibility(phone_page)
    phone_page.click("[data-start-check]")
    phone_page.locator("[data-device-help]:not([hidden])").wait_for()
    check_accessibility(phone_page)

    # The agent's waiting room with the client waiting.
    log_in(page, agent.email, password)
    page.goto("/waiting-room/")
    page.locator(".person--waiting").wait_for()
    check_accessibility(page)

    # The assistant, whose organisation requires two-factor authentication: set-up, backup codes, the pages.
    light_brand.require_mfa = True
    light_brand.save()
    give_password(page, assistant.email, password)
    page.wait_for_url("**/accounts/mfa/setup/**")
    check_accessibility(page)
    page.fill("input[name=code]", app_code(TOTPDevice.objects.get(user=assistant)))
    page.click("form button.button")
    page.locator("text=Your backup codes").wait_for()
    check_accessibility(page)
    page.click("text=I have kept them, continue")
    page.wait_for_url("**/")
    check_accessibility(page)
    for path in ("/consults/new/", f"/consults/{consult.public_id}/", "/agenda/", "/accounts/security/"):
        page.goto(path)
        check_accessibility(page)
    page.goto(f"/consults/{consult.public_id}/cancel/")
    check_accessibility(page)

    # Signing in again asks for the app's code.
    give_password(page, assistant.email, password)
    page.wait_for_url("**/accounts/mfa/**")
    check_accessibility(page)


def test_nothing_scrolls_sideways_at_320_px(page, assistant, agent, password, consult):
    participant = consult.participants.get()
    participant.name = LONG_NAME
    participant.save()
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(f"/join/{participant.token}/")
    screenshot(page, "320-join")
    assert page.evaluate(OVERFLOW) <= 0
    check_accessibility(page)
    log_in(page, agent.email, password)
    page.goto("/waiting-room/")
    page.locator(".person").wait_for()
    screenshot(page, "320-waiting-room")
    assert page.evaluate(OVERFLOW) <= 0
    check_accessibility(page)
    page.context.clear_cookies()
    log_in(page, assistant.email, password)
    for name, path in (("consult", f"/consults/{consult.public_id}/"), ("booking-form", "/consults/new/")):
        page.goto(path)
        screenshot(page, f"320-{name}")
        assert page.evaluate(OVERFLOW) <= 0, path
        check_accessibility(page)


@pytest.mark.parametrize("width", [1280, 360])
def test_at_200_percent_text_the_join_page_and_the_booking_form_fit(page, assistant, password, consult, width):
    participant = consult.participants.get()
    participant.name = LONG_NAME
    participant.save()
    page.set_viewport_size({"width": width, "height": 900})
    double_text = "document.documentElement.style.fontSize = '200%'"
    page.goto(f"/join/{participant.token}/")
    page.evaluate(double_text)
    screenshot(page, f"200-percent-{width}-join")
    assert page.evaluate(OVERFLOW) <= 0
    check_accessibility(page)
    log_in(page, assistant.email, password)
    page.goto("/consults/new/")
    page.click("[data-add-participant]")
    page.evaluate(double_text)
    screenshot(page, f"200-percent-{width}-booking-form")
    assert page.evaluate(OVERFLOW) <= 0
    assert page.evaluate(SPILLS) == []
    assert page.evaluate(TOPBAR_SHARE) <= 1 / 3
    check_accessibility(page)


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_join_pages_links_and_buttons_are_at_least_44_px_square(phone_page, light_brand, consult, language):
    participant = consult.participants.get()
    phone_page.goto(f"/join/{participant.token}/?lang={language}")
    check_accessibility(phone_page)
    targets = phone_page.evaluate(TARGETS)
    # The language link, both contact links and the two buttons of the camera test at least.
    assert len(targets) >= 5
    small = [t for t in targets if t["width"] < 44 or t["height"] < 44]
    assert small == []


@pytest.mark.parametrize("colour", ["#1f6f78", "#ffd700", "#ffffff"])
def test_the_focus_ring_stands_out_3_to_1_from_what_is_behind_it(phone_page, light_brand, consult, colour):
    light_brand.primary_colour = colour
    light_brand.save()
    participant = consult.participants.get()
    phone_page.goto(f"/join/{participant.token}/")
    check_accessibility(phone_page)
    rings = []
    for _ in range(5):  # the language link, the two camera-test buttons, the two contact links
        phone_page.keyboard.press("Tab")
        rings.append(phone_page.evaluate(FOCUS_RING))
    assert {ring["text"] for ring in rings} >= {"Nederlands", "Test camera and microphone", "020 123 4567"}
    for ring in rings:
        assert ring["style"] == "solid" and ring["width"] == "3px", ring
        assert ring["ring"].startswith("rgb("), ring  # opaque: a see-through ring takes on what is behind it
        assert contrast_ratio(hex_colour(ring["ring"]), hex_colour(ring["behind"])) >= 3, ring
