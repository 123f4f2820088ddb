"""The audit log in the admin for a practice manager on a 1280 px screen: every column fits beside the admin's
menu and the filters, without sideways scrolling, in Dutch and in English, and it passes axe."""

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
