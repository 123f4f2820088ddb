"""Booking a series from the form: the dates are shown before anything is booked, with the agent's
conflicts and the months a pattern passes over; every mistake keeps what was typed."""

import calendar
import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling.models import Appointment, Series
from tests.factories import admin_of

URL = reverse("scheduling:appointment-create")
PREVIEW_URL = reverse("scheduling:series-preview")
TZ = ZoneInfo("Europe/Amsterdam")  # the organisations' time zone in the factories


@pytest.fixture
def first_day(organisation) -> date:
    """A Tuesday a few weeks ahead."""
    day = timezone.localdate(timezone=organisation.tzinfo) + timedelta(days=14)
    return day + timedelta(days=(1 - day.weekday()) % 7)


@pytest.fixture
def series_data(form_data, first_day):
    def make(**repeat):
        values = {"repeat": "on", "frequency": "WEEKLY", "interval": "1", "ends": "count", "count": "10"}
        values.update(repeat)
        data = form_data(date=first_day.isoformat())
        data.update({f"repeat-{key}": value for key, value in values.items() if key != "weekdays"})
        if "weekdays" in values:
            data["repeat-weekdays"] = values["weekdays"]
        return data

    return make


def _fingerprint(response) -> str:
    return re.search(rb'name="repeat-preview_of" value="([0-9a-f]*)"', response.content).group(1).decode()


def test_first_save_shows_the_dates_and_books_only_once_they_were_seen(assistant_client, series_data, reminder):
    response = assistant_client.post(URL, series_data())
    assert response.status_code == 200
    preview = response.context["preview"]
    local = [timezone.localtime(o.start, TZ) for o in preview.occurrences]
    assert len(local) == 10 and {m.strftime("%a %H:%M") for m in local} == {"Tue 10:00"}
    assert "The series: 10 consults" in response.content.decode()
    assert not Appointment.objects.exists()

    # The pattern changed after the preview: the new dates are shown first, still nothing is booked.
    response = assistant_client.post(URL, series_data(count="5", **{"preview_of": _fingerprint(response)}))
    assert len(response.context["preview"].occurrences) == 5
    assert not Appointment.objects.exists()

    response = assistant_client.post(URL, series_data(count="5", preview_of=_fingerprint(response)))
    assert response.status_code == 302
    booked = Series.objects.get()
    assert booked.occurrences.count() == 5
    assert response["Location"] == reverse(
        "scheduling:appointment-detail", args=[booked.occurrences.order_by("start").first().public_id]
    )


def test_show_the_dates_button_never_books(assistant_client, series_data, reminder):
    response = assistant_client.post(URL, series_data())
    response = assistant_client.post(URL, series_data(preview_of=_fingerprint(response)) | {"preview": "1"})
    assert response.status_code == 200 and response.context["preview"]
    assert not Appointment.objects.exists()


def test_monthly_on_the_31st_shows_the_months_it_passes_over(assistant_client, series_data, reminder, organisation):
    today = timezone.localdate(timezone=organisation.tzinfo)
    # The next 31st at least two weeks ahead.
    day = today + timedelta(days=14)
    while day.day != 31:
        day += timedelta(days=1)
    data = series_data(frequency="MONTHLY", count="6")
    data["date"] = day.isoformat()
    response = assistant_client.post(URL, data)
    preview = response.context["preview"]
    assert {timezone.localtime(o.start, TZ).day for o in preview.occurrences} == {31}
    # Exactly the months between the first and the last session that have no 31st.
    first, last = (timezone.localtime(o.start, TZ).date() for o in (preview.occurrences[0], preview.occurrences[-1]))
    months, month = [], (first.replace(day=1) + timedelta(days=32)).replace(day=1)
    while month < last.replace(day=1):
        if calendar.monthrange(month.year, month.month)[1] < 31:
            months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    assert preview.skipped == months and len(months) >= 2
    assert "which do not have that date" in response.content.decode()


def test_a_series_without_reminder_rule_says_who_can_add_one_and_keeps_the_form(
    assistant_client, series_data, organisation
):
    admin_of(organisation, full_name="Ada Admin", email="ada@example.org")
    response = assistant_client.post(URL, series_data())
    errors = response.context["recurrence"].non_field_errors()
    assert "needs at least one reminder" in errors[0] and "Ada Admin (ada@example.org)" in errors[0]
    assert response.context["form"]["subject"].value() == "Intake"
    assert response.context["recurrence"]["count"].value() == "10"
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    ("repeat", "field", "message"),
    [
        ({"count": "1"}, "count", "Ensure this value is greater than or equal to 2."),
        ({"count": "201"}, "count", "Ensure this value is less than or equal to 200."),
        ({"count": ""}, "count", "How many sessions? Give a number from 2 to 200."),
        ({"ends": "until", "until": ""}, "until", "Give the date of the last session."),
        ({"ends": "until", "until": "2020-01-01"}, "until", "The end date must be after the first consult."),
        ({"interval": "0"}, "interval", "Ensure this value is greater than or equal to 1."),
        ({"weekdays": ["3"]}, "weekdays", "The first consult is on a Tuesday: include that day, or change the date."),
        ({"frequency": "MONTHLY", "count": "30"}, "count", "A series reaches at most two years ahead"),
    ],
)
def test_bad_pattern_gets_message_next_to_the_field(assistant_client, series_data, reminder, repeat, field, message):
    response = assistant_client.post(URL, series_data(**repeat))
    assert response.status_code == 200
    assert any(error.startswith(message) for error in response.context["recurrence"].errors[field])
    assert response.context["form"]["subject"].value() == "Intake"
    assert not Appointment.objects.exists()


def test_conflicts_are_marked_and_booking_needs_confirmation(
    assistant_client, series_data, reminder, form_data, first_day
):
    assistant_client.post(URL, form_data(date=(first_day + timedelta(weeks=2)).isoformat(), subject="Busy"))
    response = assistant_client.post(URL, series_data(count="4"))
    preview = response.context["preview"]
    assert [bool(o.conflicts) for o in preview.occurrences] == [False, False, True, False]
    assert "Agent busy:" in response.content.decode()
    response = assistant_client.post(URL, series_data(count="4", preview_of=_fingerprint(response)))
    assert response.status_code == 200
    assert "The agent already has a consult at this time." in response.context["form"].errors["confirm_conflicts"]
    response = assistant_client.post(
        URL, series_data(count="4", preview_of=_fingerprint(response)) | {"confirm_conflicts": "on"}
    )
    assert response.status_code == 302
    assert Appointment.objects.filter(series__isnull=False).count() == 4


def test_weekly_on_two_weekdays(assistant_client, series_data, reminder):
    response = assistant_client.post(URL, series_data(weekdays=["1", "3"], count="4"))
    days = [timezone.localtime(o.start, TZ).strftime("%a") for o in response.context["preview"].occurrences]
    assert days == ["Tue", "Thu", "Tue", "Thu"]


def test_unticked_repeat_books_one_consult_whatever_the_pattern_fields_say(assistant_client, series_data):
    data = series_data(count="abc")
    del data["repeat-repeat"]
    response = assistant_client.post(URL, data)
    assert response.status_code == 302
    assert Appointment.objects.get().series is None


def test_live_preview_returns_the_dates_with_their_fingerprint(assistant_client, series_data, reminder):
    response = assistant_client.post(PREVIEW_URL, series_data(count="3"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="series-preview__item') == 3
    fingerprint = re.search(r'data-fingerprint="([0-9a-f]+)"', html).group(1)
    # Saving with the fingerprint the live preview gave books at once.
    response = assistant_client.post(URL, series_data(count="3", preview_of=fingerprint))
    assert response.status_code == 302
    assert Appointment.objects.count() == 3


def test_live_preview_asks_for_what_is_missing_and_shows_pattern_mistakes(assistant_client, series_data, reminder):
    response = assistant_client.post(PREVIEW_URL, series_data(count="3") | {"agent": ""})
    assert "Choose the date, times, team and agent" in response.content.decode()
    response = assistant_client.post(PREVIEW_URL, series_data(count="500"))
    assert "These dates cannot be booked" in response.content.decode()
    assert "less than or equal to 200" in response.content.decode()


def test_live_preview_needs_a_login(client, series_data):
    response = client.post(PREVIEW_URL, series_data())
    assert response.status_code == 302
