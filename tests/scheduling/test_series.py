"""Booking a recurring series: occurrences of their own, one confirmation per person with a series invite,
reminders per occurrence, and a number of queries that does not grow with the series."""

from datetime import timedelta

import icalendar
import pytest
import recurring_ical_events
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications.models import DeliveryStatus, Notification, Purpose
from notifications.sms import locmem as sms
from scheduling.models import Appointment
from scheduling.recurrence import Frequency, Pattern
from scheduling.rules import ConflictError
from tests.factories import admin_of, email_participant, sms_participant
from videoproviders.models import RoomStatus, VideoRoom


def test_every_occurrence_is_a_consult_of_its_own_at_the_same_local_time(series, reminder, first_start):
    booked = series(first_start, Pattern(Frequency.WEEKLY, count=10), email_participant(), sms_participant())
    occurrences = list(booked.occurrences.order_by("start"))
    assert len(occurrences) == 10
    assert {timezone.localtime(a.start, booked.organisation.tzinfo).strftime("%a %H:%M") for a in occurrences} == {
        "Tue 09:00"
    }
    assert all(a.recurrence_id == a.start and a.end - a.start == timedelta(minutes=30) for a in occurrences)
    tokens = [p.token for a in occurrences for p in a.participants.all()]
    assert len(tokens) == 20 == len(set(tokens))  # every occurrence has its own links
    assert booked.rrule == "FREQ=WEEKLY;INTERVAL=1;COUNT=10"


def _statements(queries) -> list[str]:
    """The statements run, with a bulk insert that the database driver split into batches counted once
    (SQLite takes at most 999 parameters per statement; PostgreSQL needs no batches)."""
    statements = []
    for query in queries:
        sql = query["sql"]
        kind = sql.split("(")[0] if sql.startswith("INSERT") else sql
        if not (sql.startswith("INSERT") and statements and statements[-1] == kind):
            statements.append(kind)
    return statements


def test_booking_two_hundred_runs_as_many_queries_as_booking_ten(series, reminder, first_start):
    # A first booking reads what stays cached for the request (the booker's roles).
    series(first_start, Pattern(Frequency.DAILY, count=2), send=False, allow_conflicts=True)
    counts = []
    for count in (10, 200):
        with CaptureQueriesContext(connection) as queries:
            series(first_start, Pattern(Frequency.DAILY, count=count), send=False, allow_conflicts=True)
        counts.append(len(_statements(queries.captured_queries)))
        if connection.vendor == "postgresql":
            assert len(queries) == counts[-1]  # no batches at all
    assert counts[0] == counts[1]
    assert Appointment.objects.count() == 212


def test_a_series_needs_a_reminder_rule_and_says_who_can_add_one(series, first_start, organisation):
    admin_of(organisation, full_name="Ada Admin", email="ada@example.org")
    with pytest.raises(ValidationError) as caught:
        series(first_start, Pattern(Frequency.WEEKLY, count=4))
    message = caught.value.message_dict["recurrence"][0]
    assert "needs at least one reminder" in message and "Ada Admin (ada@example.org)" in message
    assert Appointment.objects.count() == 0


def test_limits_are_refused_before_anything_is_written(series, reminder, first_start):
    with pytest.raises(ValidationError) as caught:
        series(first_start, Pattern(Frequency.DAILY, count=201))
    assert "at most 200" in caught.value.message_dict["count"][0]
    with pytest.raises(ValidationError) as caught:
        series(first_start, Pattern(Frequency.MONTHLY, count=30))
    assert "two years" in caught.value.message_dict["count"][0]
    assert Appointment.objects.count() == 0


def test_a_conflict_on_any_occurrence_is_found(series, reminder, first_start, book):
    book(start=first_start + timedelta(weeks=3), end=first_start + timedelta(weeks=3, minutes=15))
    with pytest.raises(ConflictError) as caught:
        series(first_start, Pattern(Frequency.WEEKLY, count=5))
    assert [a.start for a in caught.value.conflicts] == [first_start + timedelta(weeks=3)]


def test_one_confirmation_per_person_and_reminders_at_each_occurrences_own_time(series, reminder, first_start):
    booked = series(first_start, Pattern(Frequency.WEEKLY, count=6), email_participant(), sms_participant(), send=False)
    rows = Notification.objects.filter(appointment__series=booked)
    assert sorted(rows.filter(purpose=Purpose.SERIES).values_list("to", flat=True)) == sorted(
        ["+31612345678", "chris@example.org", booked.occurrences.first().agent.email]
    )
    assert not rows.filter(purpose=Purpose.INVITATION).exists()
    reminders = rows.filter(purpose=Purpose.REMINDER)
    assert reminders.count() == 12  # 6 occurrences, 2 participants
    for row in reminders.select_related("appointment"):
        assert row.status == DeliveryStatus.SCHEDULED
        assert row.send_after == row.appointment.start - timedelta(days=1)


def test_the_series_email_carries_one_invite_that_calendars_expand_to_the_stored_occurrences(
    series, reminder, first_start
):
    booked = series(first_start, Pattern(Frequency.WEEKLY, count=10), email_participant())
    (email,) = [m for m in mail.outbox if m.to == ["chris@example.org"]]
    assert "10 video consults" in email.subject
    invite = next(body for body, kind in email.alternatives if kind.startswith("text/calendar"))
    calendar = icalendar.Calendar.from_ical(invite)
    (event,) = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == booked.calendar_uid
    assert event["DTSTART"].params["TZID"] == "Europe/Amsterdam"
    assert calendar.walk("VTIMEZONE")
    expanded = recurring_ical_events.of(calendar).between(first_start, first_start + timedelta(days=400))
    stored = [a.start for a in booked.occurrences.order_by("start")]
    assert sorted(e["DTSTART"].dt for e in expanded) == stored
    # Each session is listed with the client's own link for it.
    text = email.body
    for participant in [a.participants.get() for a in booked.occurrences.all()]:
        assert participant.join_url in text


def test_sms_participants_get_one_sms_for_the_series(series, reminder, first_start):
    series(first_start, Pattern(Frequency.WEEKLY, count=4), sms_participant(language="en"))
    (message,) = sms.outbox
    assert "4 video consults with Dr. Alex Agent" in message.body
    assert "reminder" in message.body


def test_rooms_are_made_a_day_before_each_occurrence_not_all_at_booking(series, reminder, organisation, settings):
    start = timezone.now() + timedelta(hours=2)
    booked = series(start, Pattern(Frequency.DAILY, count=5))
    rooms = {r.appointment.start: r for r in VideoRoom.objects.filter(appointment__series=booked)}
    first, *later = sorted(rooms)
    assert rooms[first].status == RoomStatus.READY
    for occurrence in later:
        assert rooms[occurrence].status == RoomStatus.PENDING
        assert rooms[occurrence].next_attempt_at == occurrence - timedelta(hours=settings.VIDEO_ROOM_LEAD_HOURS)


def test_a_series_message_reads_the_sessions_once(series, reminder, first_start):
    from notifications.services import send_notification

    booked = series(first_start, Pattern(Frequency.WEEKLY, count=6), email_participant(), send=False)
    row = Notification.objects.get(purpose=Purpose.SERIES, participant__isnull=False)
    with CaptureQueriesContext(connection) as queries:
        assert send_notification(notification_id=row.pk) == DeliveryStatus.SENT
    # The check before sending, the text and the calendar invite share one read of the series' sessions.
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT") and "series_id" in q["sql"]]
    sessions = [sql for sql in reads if 'FROM "scheduling_participant"' in sql and '"position"' in sql]
    assert len(sessions) == 1
    assert booked.occurrences.count() == 6
