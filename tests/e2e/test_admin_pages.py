"""The admin for a practice manager on a 1280 px screen, with axe: the audit log, whose every column fits
beside the admin's menu and the filters in Dutch and in English, and the organisation's page with the
invitation email's preview beside the invitation texts (the email itself checked too, with a light brand)."""

import json
import os

import pytest

from audit.models import Action
from audit.services import record
from tests.e2e.conftest import check_accessibility, log_in
from tests.factories import admin_of

# Set to a folder to keep a screenshot of the log for a look by eye.
SCREENSHOTS = os.environ.get("SCREENSHOTS", "")

OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
# The results table against the room its own wrapper gives it: more means the table scrolls on its own.
TABLE_OVERFLOW = """(() => { const table = document.querySelector('#result_list');
    return table.scrollWidth - table.parentElement.clientWidth; })()"""


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_audit_log_reads_at_1280_px(page, organisation, book, edit, tomorrow_at, password, language):
    # Long names and addresses, as real ones can be; the pages speak the manager's own language.
    manager = admin_of(
        organisation,
        full_name="Margriet van Oldenbarnevelt-Schimmelpenninck",
        email="margriet.van.oldenbarnevelt@praktijkdelinde.nl",
        language=language,
    )
    appointment = book(subject="Intake en kennismaking met de nieuwe praktijkondersteuner")
    edit(appointment, start=tomorrow_at(11), end=tomorrow_at(11).replace(minute=30), subject="Vervolggesprek")
    # An admin change that names many fields, as saving the organisation's page does.
    fields = [
        "Primary colour",
        "Sender name",
        "Default message (Dutch)",
        "Default message (English)",
        "Invitation text (Dutch)",
        "Invitation text (English)",
        "Contact email",
        "Contact phone",
    ]
    record(
        action=Action.SETTING_CHANGED,
        actor=manager,
        summary=f"Organisation {organisation.name}",
        organisation_id=organisation.pk,
        obj=organisation,
        changes=json.dumps([{"changed": {"fields": fields}}]),
    )
    log_in(page, manager.email, password)
    page.goto("/admin/audit/auditevent/")
    page.locator("#result_list").wait_for()
    rows = page.locator("#result_list tbody tr").count()
    assert rows >= 3
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"audit-log-1280-{language}.png"), full_page=True)
    assert page.evaluate(OVERFLOW) <= 0
    assert page.evaluate(TABLE_OVERFLOW) <= 0
    check_accessibility(page)


def test_the_organisation_page_shows_the_invitation_beside_its_texts_and_the_brand_preview(
    page, organisation, password
):
    organisation.invitation_text_nl = "Beste {client_name},\nWelkom bij onze praktijk."
    organisation.invitation_text_en = "Dear {client_name},\nWelcome to our practice."
    organisation.primary_colour = "#ffd700"
    organisation.save()
    manager = admin_of(organisation, full_name="Margriet Manager")
    log_in(page, manager.email, password)
    page.goto(f"/admin/accounts/organisation/{organisation.pk}/change/")
    frames = page.locator("iframe[title^='Invitation email']")
    frames.first.wait_for()
    assert frames.count() == 2
    # Each language's invitation in a frame wide and tall enough to read, as the client receives it.
    for index in (0, 1):
        box = frames.nth(index).bounding_box()
        assert box is not None and box["width"] >= 300 and box["height"] >= 500, box
    previews = page.frame_locator("iframe[title^='Invitation email']")
    previews.nth(0).get_by_text("Welkom bij onze praktijk.").wait_for()
    previews.nth(1).get_by_text("Welcome to our practice.").wait_for()
    if SCREENSHOTS:
        # The frames as seen on screen (a full-page screenshot leaves sandboxed frames blank).
        frames.first.scroll_into_view_if_needed()
        page.screenshot(path=os.path.join(SCREENSHOTS, "organisation-1280.png"))
    assert page.evaluate(OVERFLOW) <= 0
    # The frames hold an email, not a page of the site (and axe cannot run in a frame without scripts).
    check_accessibility(page, iframes=False)
    # The email as the client gets it, at the frame's own address: readable with the light brand colour.
    for language, button, text in (
        ("en", "Open the waiting room", "Welcome to our practice."),
        ("nl", "Naar de wachtkamer", "Welkom bij onze praktijk."),
    ):
        page.goto(f"/admin/accounts/organisation/{organisation.pk}/invitation/{language}/")
        assert page.get_by_text(text).count() == 1
        assert page.get_by_role("link", name=button).count() == 1
        check_accessibility(page)
