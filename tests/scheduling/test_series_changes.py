"""Changing and cancelling sessions of a series: one session, this and the following, or all still ahead.
The invites sent for each are read back with icalendar (UID, RECURRENCE-ID, SEQUENCE, METHOD) and, for the
whole series, expanded with recurring-ical-events to the sessions as stored."""

from datetime import timedelta

import icalendar
import pytest
import recurring_ical_events
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from notifications.models import DeliveryStatus, Notification, Purpose
from notifications.sms import locmem as sms
from scheduling.changes import cancel_consult, change_consult
from scheduling.models import Appointment, Status
from scheduling.recurrence import Frequency, Pattern
from scheduling.services import ParticipantInput, StaleAppointmentError
from scheduling.values import Scope
from tests.factories import agent_of, email_participant, sms_participant


@pytest.fixture
def change(assistant, django_capture_on_commit_callbacks):
    """Change a session through the service with a scope, keeping whatever is not named."""

    def run(appointment, scope, **changes):
        participants = changes.pop("participants", None) or [
            ParticipantInput(p.name, p.channel, p.language, p.email, p.phone, p.pk)
            for p in appointment.participants.active()
        ]
        fields = {name: getattr(appointment, name) for name in ("team", "agent", "start", "end", "subject", "message")}
        with django_capture_on_commit_callbacks(execute=True):
            return change_consult(
                appointment=appointment,
                changed_by=changes.pop("changed_by", None) or appointment.booked_by,
                expected_sequence=changes.pop("expected_sequence", appointment.sequence),
                scope=scope,
                participants=participants,
                allow_conflicts=True,
                **(fields | changes),
            )

    return run


@pytest.fixture
def cancel(assistant, django_capture_on_commit_callbacks):
    def run(appointment, scope):
        with django_capture_on_commit_callbacks(execute=True):
            return cancel_consult(appointment=appointment, cancelled_by=assistant, scope=scope)

    return run


@pytest.fixture
def weekly(series, reminder, first_start):
    """A weekly series of six with an email and an SMS participant, invitations sent; the outboxes emptied."""

    def make(count=6, *participants):
        booked = series(
            first_start,
            Pattern(Frequency.WEEKLY, count=count),
            *(participants or (email_participant(), sms_participant(language="en"))),
        )
        mail.outbox.clear()
        sms.outbox.clear()
        return booked, list(booked.occurrences.order_by("start"))

    return make


def _mails_to(address):
    return [m for m in mail.outbox if m.to == [address]]


def _calendar(message) -> icalendar.Calendar:
    body = next(content for content, kind in message.alternatives if kind.startswith("text/calendar"))
    return icalendar.Calendar.from_ical(body)


def _local(moment, organisation):
    return timezone.localtime(moment, organisation.tzinfo)


def test_moving_one_session_sends_its_change_with_the_series_uid_and_its_recurrence_id(weekly, change, agent):
    booked, sessions = weekly()
    second = sessions[1]
    planned = second.start
    change(second, Scope.THIS, start=second.start + timedelta(hours=1), end=second.end + timedelta(hours=1))
    booked.refresh_from_db()
    for address in ("chris@example.org", agent.email):
        (message,) = _mails_to(address)
        calendar = _calendar(message)
        (event,) = calendar.walk("VEVENT")
        assert str(calendar["METHOD"]) == "REQUEST"
        assert str(event["UID"]) == booked.calendar_uid
        assert event["RECURRENCE-ID"].dt == planned  # where the series first put it
        assert event["DTSTART"].dt == planned + timedelta(hours=1)
        assert event["DTSTART"].params["TZID"] == "Europe/Amsterdam"
        assert int(event["SEQUENCE"]) == booked.sequence == 1
        assert calendar.walk("VTIMEZONE")
    assert len(sms.outbox) == 1 and "changed" in sms.outbox[0].body
    # Only that session moved.
    assert [a.start - a.recurrence_id for a in booked.occurrences.order_by("recurrence_id")] == [
        timedelta(hours=1) if s.pk == second.pk else timedelta(0) for s in sessions
    ]


def test_cancelling_one_session_cancels_only_that_recurrence(weekly, cancel, agent):
    booked, sessions = weekly()
    cancel(sessions[2], Scope.THIS)
    booked.refresh_from_db()
    (message,) = _mails_to("chris@example.org")
    calendar = _calendar(message)
    (event,) = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["UID"]) == booked.calendar_uid
    assert event["RECURRENCE-ID"].dt == sessions[2].start
    assert int(event["SEQUENCE"]) == booked.sequence == 1
    assert [a.status for a in booked.occurrences.order_by("start")] == [Status.SCHEDULED] * 2 + [Status.CANCELLED] + [
        Status.SCHEDULED
    ] * 3


def test_the_series_invite_excludes_cancelled_and_overrides_moved_sessions(weekly, change, cancel, organisation):
    """Read back as a calendar program does: the RRULE, its EXDATEs and RECURRENCE-ID overrides together
    give exactly the sessions still planned, at their current times."""
    booked, sessions = weekly(8)
    change(
        sessions[1], Scope.THIS, start=sessions[1].start + timedelta(days=1), end=sessions[1].end + timedelta(days=1)
    )
    cancel(sessions[4], Scope.THIS)
    mail.outbox.clear()
    # A later change to the rest of the series sends the whole series again.
    change(sessions[6], Scope.FOLLOWING, subject="Follow-up, new room")
    booked.refresh_from_db()
    (message,) = _mails_to("chris@example.org")
    calendar = _calendar(message)
    events = calendar.walk("VEVENT")
    assert {str(e["UID"]) for e in events} == {booked.calendar_uid}
    assert {int(e["SEQUENCE"]) for e in events} == {booked.sequence}
    master = next(e for e in events if "RRULE" in e)
    assert [d.dt for d in master["EXDATE"].dts] == [sessions[4].start]
    first = sessions[0].start
    expanded = recurring_ical_events.of(calendar).between(first - timedelta(days=1), first + timedelta(days=80))
    planned = Appointment.objects.filter(series=booked, status=Status.SCHEDULED).order_by("start")
    assert sorted(e["DTSTART"].dt for e in expanded) == [a.start for a in planned]


def test_changing_this_and_following_moves_each_by_the_same_local_time_across_daylight_saving(
    series, reminder, organisation, change, agent
):
    # Weekly on Tuesdays 09:00 from before the end of March to after it.
    first = timezone.datetime(2027, 3, 2, 9, 0, tzinfo=organisation.tzinfo)
    if first < timezone.now() + timedelta(days=1):
        pytest.skip("the fixed dates lie in the past")
    booked = series(first, Pattern(Frequency.WEEKLY, count=8), email_participant(), sms_participant(language="en"))
    sessions = list(booked.occurrences.order_by("start"))
    mail.outbox.clear()
    sms.outbox.clear()
    third = sessions[2]
    changed = change(
        third, Scope.FOLLOWING, start=third.start + timedelta(minutes=90), end=third.end + timedelta(minutes=90)
    )
    assert len(changed) == 6
    local = [_local(a.start, organisation).strftime("%d %b %H:%M") for a in booked.occurrences.order_by("start")]
    assert local == ["02 Mar 09:00", "09 Mar 09:00"] + [
        f"{d} 10:30" for d in ("16 Mar", "23 Mar", "30 Mar", "06 Apr", "13 Apr", "20 Apr")
    ]
    # One message per person for the whole change, listing the sessions from the first changed one on.
    for address in ("chris@example.org", agent.email):
        (message,) = _mails_to(address)
        assert str(_calendar(message)["METHOD"]) == "REQUEST"
    client_mail = _mails_to("chris@example.org")[0]
    assert "changed" in client_mail.subject.lower()
    for session in changed:
        assert session.participants.get(channel="email").join_url in client_mail.body
    assert len(sms.outbox) == 1
    # Each session's reminders follow its new time.
    for session in changed:
        for row in Notification.objects.filter(
            appointment=session, purpose=Purpose.REMINDER, status=DeliveryStatus.SCHEDULED
        ):
            assert row.send_after == session.start - timedelta(days=1)


def test_cancelling_the_rest_sends_one_cancellation_per_person_that_lists_the_sessions(
    weekly, cancel, agent, organisation
):
    booked, sessions = weekly(6)
    cancelled = cancel(sessions[2], Scope.FOLLOWING)
    assert [a.pk for a in cancelled] == [s.pk for s in sessions[2:]]
    booked.refresh_from_db()
    for address in ("chris@example.org", agent.email):
        (message,) = _mails_to(address)
        calendar = _calendar(message)
        assert str(calendar["METHOD"]) == "CANCEL"
        events = calendar.walk("VEVENT")
        assert sorted(e["RECURRENCE-ID"].dt for e in events) == [s.start for s in sessions[2:]]
        assert {str(e["UID"]) for e in events} == {booked.calendar_uid}
        assert {int(e["SEQUENCE"]) for e in events} == {booked.sequence}
        assert {str(e["STATUS"]) for e in events} == {"CANCELLED"}
        assert "4" in message.subject
    assert len(sms.outbox) == 1 and "4 video consults" in sms.outbox[0].body
    # Their reminders are off; the first two sessions keep theirs.
    pending = Notification.objects.filter(purpose=Purpose.REMINDER, status=DeliveryStatus.SCHEDULED)
    assert {row.appointment_id for row in pending} == {s.pk for s in sessions[:2]}


def test_cancelling_a_whole_series_not_yet_begun_cancels_its_uid(weekly, cancel):
    booked, sessions = weekly(4)
    cancel(sessions[0], Scope.ALL)
    (message,) = _mails_to("chris@example.org")
    calendar = _calendar(message)
    (event,) = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert "RECURRENCE-ID" not in event and str(event["UID"]) == booked.calendar_uid
    assert not Appointment.objects.filter(series=booked, status=Status.SCHEDULED).exists()


def test_all_still_ahead_reaches_sessions_before_this_one_too(weekly, change):
    booked, sessions = weekly(5)
    changed = change(sessions[3], Scope.ALL, subject="Coaching")
    assert len(changed) == 5
    assert set(booked.occurrences.values_list("subject", flat=True)) == {"Coaching"}


def test_handing_the_rest_to_another_agent(weekly, change, team, agent):
    booked, sessions = weekly(4)
    other = agent_of(team, full_name="Dr. Bo Other", email="bo@example.org")
    change(sessions[1], Scope.FOLLOWING, agent=other)
    (old,) = _mails_to(agent.email)
    assert str(_calendar(old)["METHOD"]) == "CANCEL"
    assert "no longer in your agenda" in old.body
    assert sorted(e["RECURRENCE-ID"].dt for e in _calendar(old).walk("VEVENT")) == [s.start for s in sessions[1:]]
    (new,) = _mails_to("bo@example.org")
    assert str(_calendar(new)["METHOD"]) == "REQUEST"
    assert (
        list(booked.occurrences.order_by("start").values_list("agent__email", flat=True))
        == [agent.email] + ["bo@example.org"] * 3
    )


def test_a_participant_taken_off_the_rest_gets_one_cancellation(weekly, change):
    booked, sessions = weekly(4)
    keep = sessions[1].participants.get(channel="email")
    change(
        sessions[1],
        Scope.FOLLOWING,
        participants=[ParticipantInput(keep.name, keep.channel, keep.language, keep.email, "", keep.pk)],
    )
    assert len(sms.outbox) == 1 and "cancelled" in sms.outbox[0].body
    assert [s.participants.active().count() for s in booked.occurrences.order_by("start")] == [2, 1, 1, 1]
    # The email participant kept their links, and got one change.
    assert [s.participants.get(channel="email").pk for s in sessions[1:]] == [
        s.participants.get(channel="email").pk for s in booked.occurrences.order_by("start")[1:]
    ]
    (message,) = _mails_to("chris@example.org")
    assert str(_calendar(message)["METHOD"]) == "REQUEST"


def test_saving_a_series_change_unchanged_sends_nothing(weekly, change):
    _booked, sessions = weekly(4)
    assert change(sessions[0], Scope.ALL) == []
    assert mail.outbox == [] and sms.outbox == []


def test_a_series_change_on_an_outdated_view_is_refused(weekly, change):
    _booked, sessions = weekly(3)
    change(sessions[0], Scope.THIS, subject="First edit")
    with pytest.raises(StaleAppointmentError):
        change(sessions[0], Scope.ALL, subject="Second edit", expected_sequence=0)
    assert Appointment.objects.filter(subject="Second edit").count() == 0


def test_edit_page_offers_the_scopes_and_the_change_reaches_them(assistant_client, weekly):
    _booked, sessions = weekly(4)
    url = reverse("scheduling:appointment-edit", args=[sessions[1].public_id])
    page = assistant_client.get(url).content.decode()
    assert "This consult is part of a series" in page
    assert "This consult and the following ones (3 in all)" in page
    assert "All consults of the series still ahead (4)" in page


def test_cancel_page_cancels_the_chosen_scope(assistant_client, weekly):
    booked, sessions = weekly(4)
    url = reverse("scheduling:appointment-cancel", args=[sessions[1].public_id])
    assert "This consult and the following ones (3 in all)" in assistant_client.get(url).content.decode()
    response = assistant_client.post(url, {"scope": "following"}, follow=True)
    assert "3 consults of the series have been cancelled" in response.content.decode()
    assert (
        list(booked.occurrences.order_by("start").values_list("status", flat=True)) == ["scheduled"] + ["cancelled"] * 3
    )


def test_detail_page_lists_the_series_with_a_marker(assistant_client, weekly):
    _booked, sessions = weekly(3)
    page = assistant_client.get(reverse("scheduling:appointment-detail", args=[sessions[0].public_id])).content.decode()
    assert "Series of 3 consults" in page and 'class="series-badge"' in page
    # Its room is made a day before the session, not in a few seconds.
    assert "The room is made automatically on" in page
    for session in sessions[1:]:
        assert reverse("scheduling:appointment-detail", args=[session.public_id]) in page


def test_an_agent_cannot_cancel_a_series(client, weekly, agent):
    _booked, sessions = weekly(3)
    client.force_login(agent)
    response = client.post(reverse("scheduling:appointment-cancel", args=[sessions[0].public_id]), {"scope": "all"})
    assert response.status_code == 404
    assert not Appointment.objects.filter(status=Status.CANCELLED).exists()
