"""A client on a phone opens their join page, goes on to their own page and asks for another time; the
pages pass axe at 390 px wide, and the assistant sees the request on the consult's page."""

import os
from datetime import timedelta

from django.utils import timezone

from scheduling.models import TimeRequest
from scheduling.services import ParticipantInput
from tests.e2e.conftest import check_accessibility, log_in

# Where the screenshots go, to look at after a run (SCREENSHOTS=/some/dir); none by default.
SCREENSHOTS = os.environ.get("SCREENSHOTS", "")

# The page's width against what it lays out: more means the page scrolls sideways.
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def shot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def test_a_client_on_a_phone_asks_for_another_time(phone_page, page, organisation, assistant, book, password):
    organisation.contact_phone = "020 123 4567"
    organisation.save()
    start = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    consult = book(
        ParticipantInput(name="Jan Peters", channel="link", language="nl"),
        start=start,
        end=start + timedelta(minutes=30),
    )
    participant = consult.participants.get()

    phone_page.goto(f"/join/{participant.token}/")
    check_accessibility(phone_page)
    phone_page.click("text=Kunt u niet komen? Annuleer of vraag een andere tijd")
    phone_page.wait_for_url("**/change/?lang=nl")
    check_accessibility(phone_page)
    assert phone_page.evaluate(OVERFLOW) <= 0
    shot(phone_page, "self-service-nl")

    # The other language, and the confirmation to cancel (not given).
    phone_page.click("text=English")
    phone_page.wait_for_url("**/change/?lang=en")
    check_accessibility(phone_page)
    phone_page.click("a:has-text('Cancel this consult')")
    phone_page.wait_for_url("**/change/cancel/?lang=en")
    check_accessibility(phone_page)
    shot(phone_page, "self-service-cancel-en")
    phone_page.click("text=No, keep it")
    phone_page.wait_for_url("**/change/?lang=en")

    # An empty note is explained next to the field; then the request goes.
    phone_page.click("button:has-text('Send request')")
    phone_page.locator(".field__error").wait_for()
    assert "Write which days or times would suit you" in phone_page.inner_text(".field__error")
    check_accessibility(phone_page)
    shot(phone_page, "self-service-error-en")
    phone_page.fill("textarea[name=note]", "Tuesdays after 14:00 suit me better.")
    phone_page.click("button:has-text('Send request')")
    phone_page.locator(".alert--success").wait_for()
    assert "Tuesdays after 14:00 suit me better." in phone_page.inner_text(".selfservice__note")
    check_accessibility(phone_page)
    assert phone_page.evaluate(OVERFLOW) <= 0
    shot(phone_page, "self-service-sent-en")
    assert TimeRequest.objects.get(participant=participant).note == "Tuesdays after 14:00 suit me better."

    # The assistant sees it on the consult's page.
    log_in(page, assistant.email, password)
    page.goto(f"/consults/{consult.public_id}/")
    assert "Tuesdays after 14:00 suit me better." in page.inner_text("[aria-labelledby=requests-title]")
    check_accessibility(page)
    shot(page, "consult-with-request")
