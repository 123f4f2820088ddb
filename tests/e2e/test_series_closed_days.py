"""An assistant books a monthly series from a Wednesday in the browser: the date that falls on a Saturday
is marked in the list of dates, one tick skips it, and the series is booked without it."""

import re
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from scheduling.models import Series
from tests.e2e.conftest import check_accessibility, fill_consult, log_in, wait_until
from tests.factories import ReminderRuleFactory


def test_assistant_skips_the_saturday_of_a_monthly_series_with_one_tick(
    page, assistant, agent, team, password, organisation
):
    ReminderRuleFactory(organisation=organisation, amount=1, unit="days")
    day = timezone.localdate(timezone=organisation.tzinfo) + timedelta(days=7)
    while not (day.weekday() == 2 and (day + relativedelta(months=1)).weekday() == 5 and day.day <= 28):
        day += timedelta(days=1)
    saturday = day + relativedelta(months=1)
    log_in(page, assistant.email, password)
    page.goto("/consults/new/")
    check_accessibility(page)
    fill_consult(page, day=day, team=team, agent=agent)

    page.check("input[name=repeat-repeat]")
    page.select_option("select[name=repeat-frequency]", "MONTHLY")
    page.fill("input[name=repeat-count]", "3")
    wait_until(page, "document.querySelectorAll('.series-preview__item').length === 3")
    check_accessibility(page)  # the dates with the Saturday marked
    items = page.locator(".series-preview__item")
    assert "Saturday" in items.nth(1).inner_text()
    assert page.locator(".series-preview__item--closed").count() == 1
    assert "The series: 3 consults" in page.inner_text(".series-preview h2")

    page.check("input[name=repeat-skip_closed]")
    wait_until(page, "document.querySelectorAll('.series-preview__item--left-out').length === 1")
    check_accessibility(page)  # the Saturday struck through
    assert "The series: 2 consults" in page.inner_text(".series-preview h2")
    assert "2 of 3 dates take place" in page.inner_text(".series-preview")
    assert page.is_checked(f"input[name=repeat-skip][value='{saturday.isoformat()}']")

    page.click("button[name=save]")
    page.wait_for_url(re.compile(r"/consults/[0-9a-f-]+/$"))
    assert "The series of 2 consults has been booked" in page.inner_text(".messages")
    check_accessibility(page)
    series = Series.objects.get()
    booked = [timezone.localtime(a.start, organisation.tzinfo).date() for a in series.occurrences.order_by("start")]
    assert booked == [day, day + relativedelta(months=2)]
    assert series.exdate == f"{saturday:%Y%m%d}T090000"
