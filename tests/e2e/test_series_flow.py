"""An assistant books a weekly series in the browser: the dates appear as the pattern is typed, with the
agent's conflicts marked; then she cancels the rest of the series from one session."""

import re
from datetime import timedelta

from django.utils import timezone

from notifications.models import Purpose
from scheduling.models import Appointment, Series, Status
from tests.e2e.conftest import check_accessibility, fill_consult, log_in, wait_until
from tests.factories import ReminderRuleFactory


def test_assistant_books_a_series_with_its_dates_shown_and_cancels_the_rest(
    page, assistant, agent, team, password, book, organisation
):
    ReminderRuleFactory(organisation=organisation, amount=1, unit="days")
    day = timezone.localdate(timezone=organisation.tzinfo) + timedelta(days=7)
    busy = book(
        start=_at(day + timedelta(weeks=2), 9, organisation), end=_at(day + timedelta(weeks=2), 10, organisation)
    )
    log_in(page, assistant.email, password)
    page.goto("/consults/new/")
    assert page.is_hidden("[data-repeat-fields]")
    fill_consult(page, day=day, team=team, agent=agent)

    page.check("input[name=repeat-repeat]")
    assert page.is_visible("[data-repeat-weekly]")
    page.fill("input[name=repeat-count]", "5")
    wait_until(page, "document.querySelectorAll('.series-preview__item').length === 5")
    check_accessibility(page)  # the repeat fields and the dates with a conflict
    items = page.locator(".series-preview__item")
    assert "09:00\u201309:30" in items.nth(0).inner_text()
    assert "Agent busy" in items.nth(2).inner_text() and busy.subject in items.nth(2).inner_text()
    assert page.locator(".series-preview__item--conflict").count() == 1

    # Monthly hides the weekdays; back to weekly, six sessions: the list follows.
    page.select_option("select[name=repeat-frequency]", "MONTHLY")
    assert page.is_hidden("[data-repeat-weekly]")
    page.select_option("select[name=repeat-frequency]", "WEEKLY")
    page.fill("input[name=repeat-count]", "6")
    wait_until(page, "document.querySelectorAll('.series-preview__item').length === 6")

    # The conflict must be confirmed; the dates were seen, so the save books.
    page.check(".series-preview input[name=confirm_conflicts]")
    page.click("button[name=save]")
    page.wait_for_url(re.compile(r"/consults/[0-9a-f-]+/$"))
    assert "The series of 6 consults has been booked" in page.inner_text(".messages")
    series = Series.objects.get()
    assert series.occurrences.count() == 6
    assert page.locator(".sessions__item").count() == 6
    check_accessibility(page)

    # From the third session: cancel it and the following ones.
    third = series.occurrences.order_by("start")[2]
    page.goto(f"/consults/{third.public_id}/cancel/")
    check_accessibility(page)
    page.check("input[name=scope][value=following]")
    page.click("text=Yes, cancel")
    page.wait_for_url(re.compile(r"/consults/[0-9a-f-]+/$"))
    assert "4 consults of the series have been cancelled" in page.inner_text(".messages")
    check_accessibility(page)
    statuses = list(series.occurrences.order_by("start").values_list("status", flat=True))
    assert statuses == [Status.SCHEDULED] * 2 + [Status.CANCELLED] * 4
    assert third.notifications.filter(purpose=Purpose.SERIES_CANCELLATION).exists()
    assert Appointment.objects.get(pk=busy.pk).status == Status.SCHEDULED


def _at(day, hour, organisation):
    return timezone.datetime(day.year, day.month, day.day, hour, tzinfo=organisation.tzinfo)
