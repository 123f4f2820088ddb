"""The idle logout in the browser: the waiting room's own polling keeps nobody signed in, the page warns
before the end with a way to stay, and what was typed comes back after signing in again, for the same
person only. The idle time is cut to seconds; the live server reads the same settings."""

import re

import pytest

from tests.e2e.conftest import check_accessibility, log_in, wait_until
from tests.factories import assistant_of

IDLE_SECONDS = 6
WARNING_SECONDS = 3
# From the last thing the person did to the login page, with room for a slow machine.
UNTIL_LOGOUT_MS = (IDLE_SECONDS + 10) * 1000
BACKGROUND = {"X-Background": "1"}
DRAFTS = "Object.keys(sessionStorage).filter((key) => key.startsWith('idle-draft:'))"


@pytest.fixture(autouse=True)
def short_idle_time(settings):
    settings.SESSION_IDLE_SECONDS = IDLE_SECONDS
    settings.SESSION_IDLE_WARNING_SECONDS = WARNING_SECONDS


def login_page_for(path: str) -> re.Pattern:
    return re.compile(r"/accounts/login/\?next=" + re.escape(path.replace("/", "%2F")) + "$")


def sign_in_here(page, email: str, password: str) -> None:
    """Sign in on the login page the idle logout opened, so that its ?next= leads back."""
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("form button.button")


def signed_in(page) -> bool:
    return page.request.get("/accounts/activity/", headers=BACKGROUND).status == 200


def type_a_booking(page) -> None:
    page.goto("/consults/new/")
    check_accessibility(page)
    page.fill("#id_subject", "Intake")
    page.fill("#id_message", "Please have your insurance card ready.")
    page.fill("#id_participants-0-name", "Jan Peters")


def test_the_waiting_room_warns_and_stay_signed_in_keeps_the_session(page, agent, password):
    log_in(page, agent.email, password)
    page.goto("/waiting-room/")
    check_accessibility(page)
    warning = page.get_by_role("alertdialog", name="Are you still there?")
    warning.wait_for(timeout=(IDLE_SECONDS + 5) * 1000)
    assert "because you have not done anything for a while" in warning.inner_text()
    # The count-down for the eye; in words for screen readers, which do not hear every second.
    assert re.fullmatch(r"0:0[1-3]", warning.locator("[data-idle-time]").inner_text())
    assert re.fullmatch(r"[1-3] seconds?", warning.locator("[data-idle-words]").text_content())
    # Reachable by keyboard: the focus is on the way to stay.
    assert page.evaluate("document.activeElement.textContent") == "Stay signed in"
    page.keyboard.press("Enter")
    warning.wait_for(state="hidden")

    # Past the end the first warning counted down to: still in. The next warning gives way to Escape.
    warning.wait_for(timeout=(IDLE_SECONDS + 5) * 1000)
    assert page.url.endswith("/waiting-room/") and signed_in(page)
    check_accessibility(page)  # the warning open
    page.keyboard.press("Escape")
    warning.wait_for(state="hidden")
    page.wait_for_timeout(WARNING_SECONDS * 1000)
    assert page.url.endswith("/waiting-room/") and signed_in(page)


def test_an_agent_who_leaves_the_waiting_room_open_is_logged_out(page, agent, password):
    log_in(page, agent.email, password)
    polls = []
    page.on("request", lambda request: polls.append(request) if "/waiting-room/state/" in request.url else None)
    page.goto("/waiting-room/")
    check_accessibility(page)

    page.wait_for_url(login_page_for("/waiting-room/"), timeout=UNTIL_LOGOUT_MS)
    # The page kept polling all along, sent as background.
    assert len(polls) >= 3 and all(p.headers.get("x-background") == "1" for p in polls)
    assert "logged out after a while without activity" in page.inner_text(".messages")
    check_accessibility(page)
    assert not signed_in(page)


def test_what_an_assistant_typed_comes_back_after_the_idle_logout(page, assistant, password):
    log_in(page, assistant.email, password)
    type_a_booking(page)
    # A row added on the page comes back too.
    page.click("[data-add-participant]")
    page.fill("#id_participants-1-name", "Noor Yilmaz")
    page.select_option("#id_participants-1-channel", "sms")

    page.wait_for_url(login_page_for("/consults/new/"), timeout=UNTIL_LOGOUT_MS)
    assert "Jan Peters" not in page.content()
    sign_in_here(page, assistant.email, password)
    page.wait_for_url("**/consults/new/")
    assert page.input_value("#id_subject") == "Intake"
    assert page.input_value("#id_message") == "Please have your insurance card ready."
    assert page.input_value("#id_participants-0-name") == "Jan Peters"
    assert page.input_value("#id_participants-1-name") == "Noor Yilmaz"
    assert page.input_value("#id_participants-1-channel") == "sms" and page.is_visible("#id_participants-1-phone")
    wait_until(page, "document.querySelector('.messages [role=status]').textContent !== ''")
    assert "What you typed before you were signed out has been put back" in page.inner_text(".messages")
    check_accessibility(page)
    assert page.evaluate(DRAFTS) == []


def test_someone_else_signing_in_never_sees_the_draft(page, assistant, team, password):
    colleague = assistant_of(team, full_name="Bea Backup")
    log_in(page, assistant.email, password)
    type_a_booking(page)

    page.wait_for_url(login_page_for("/consults/new/"), timeout=UNTIL_LOGOUT_MS)
    sign_in_here(page, colleague.email, password)
    page.wait_for_url("**/consults/new/")
    assert page.input_value("#id_subject") == ""
    assert page.input_value("#id_participants-0-name") == ""
    assert page.evaluate(DRAFTS) == []


def test_an_old_draft_is_thrown_away(page, assistant, password):
    log_in(page, assistant.email, password)
    type_a_booking(page)

    page.wait_for_url(login_page_for("/consults/new/"), timeout=UNTIL_LOGOUT_MS)
    # Three hours at the login page, as on a practice's computer left for the afternoon.
    page.evaluate(f"""{DRAFTS}.forEach((key) => {{
        const draft = JSON.parse(sessionStorage.getItem(key));
        draft.savedAt -= 3 * 60 * 60 * 1000;
        sessionStorage.setItem(key, JSON.stringify(draft));
    }})""")
    sign_in_here(page, assistant.email, password)
    page.wait_for_url("**/consults/new/")
    assert page.input_value("#id_subject") == ""
    assert page.evaluate(DRAFTS) == []
