"""Every event type reaches a registered endpoint, signed, with the consult and never a client's data."""

from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from notifications.services import record_sms_status, sweep
from scheduling import lifecycle
from scheduling.models import Appointment
from scheduling.recurrence import Frequency, Pattern
from scheduling.series import cancel_sessions
from scheduling.services import cancel_appointment
from tests.factories import email_participant, sms_participant
from waitingroom.services import check_in
from webhooks.models import Delivery, EventType
from webhooks.services import announce_consults

PERSONAL = [b"Chris Client", b"chris@example.org", b"Sam Sms", b"+31612345678", b"612345678", b"insurance card"]


def _assert_signed_and_anonymous(receiver, endpoint):
    assert receiver.received, "nothing was delivered"
    for request in receiver.received:
        assert request.verified, request.headers
        assert request.headers["Videoconsult-Event"] == request.event["id"]
        assert request.headers["Videoconsult-Delivery"]
        for word in PERSONAL:
            assert word not in request.body, word


@pytest.fixture
def consult(book, endpoint, receiver):
    booked = book(email_participant(), sms_participant(), subject="Intake")
    return booked


def test_a_booking_is_delivered_with_the_consult(consult, receiver, endpoint, agent, team, organisation):
    (event,) = receiver.events("consult.booked")
    assert event["organisation"] == {"name": organisation.name}
    assert event["created"].endswith("Z")
    assert event["data"]["consult"] == {
        "id": str(consult.public_id),
        "series_id": None,
        "team": {"name": team.name},
        "agent": {"name": agent.full_name, "email": agent.email},
        "start": consult.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end": consult.end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "status": "scheduled",
        "subject": "Intake",
    }
    _assert_signed_and_anonymous(receiver, endpoint)


def test_a_change_and_a_cancellation_are_delivered(
    consult, receiver, endpoint, edit, assistant, django_capture_on_commit_callbacks
):
    changed = edit(consult, subject="Second talk")
    with django_capture_on_commit_callbacks(execute=True):
        cancel_appointment(appointment=changed, cancelled_by=assistant)
    assert [e["data"]["consult"]["subject"] for e in receiver.events("consult.changed")] == ["Second talk"]
    (cancelled,) = receiver.events("consult.cancelled")
    assert cancelled["data"]["consult"]["status"] == "cancelled"
    _assert_signed_and_anonymous(receiver, endpoint)


def test_a_series_gives_an_event_per_session_when_booked_and_cancelled(
    series, reminder, first_start, endpoint, receiver, assistant, django_capture_on_commit_callbacks
):
    booked = series(first_start, Pattern(Frequency.WEEKLY, count=3), email_participant())
    sessions = list(booked.occurrences.order_by("start"))
    with django_capture_on_commit_callbacks(execute=True):
        cancel_sessions(appointment=sessions[1], cancelled_by=assistant, scope="following")
    assert {e["data"]["consult"]["id"] for e in receiver.events("consult.booked")} == {
        str(s.public_id) for s in sessions
    }
    assert {e["data"]["consult"]["series_id"] for e in receiver.events("consult.booked")} == {str(booked.public_id)}
    assert [e["data"]["consult"]["id"] for e in receiver.events("consult.cancelled")] == [
        str(s.public_id) for s in sessions[1:]
    ]
    # One event id per consult: a receiver deduplicates on it.
    assert len({e["id"] for e in receiver.events()}) == len(receiver.received)
    _assert_signed_and_anonymous(receiver, endpoint)


def test_a_client_waiting_and_the_consult_started_and_ended(
    consult, receiver, endpoint, agent, django_capture_on_commit_callbacks
):
    participant = consult.participants.first()
    with django_capture_on_commit_callbacks(execute=True):
        assert check_in(participant=participant).arrived
        # Still waiting: no second event.
        assert not check_in(participant=participant).arrived
        lifecycle.mark_started(appointment=consult, by=agent)
        lifecycle.mark_ended(appointment=consult, by=agent)
    (waiting,) = receiver.events("client.waiting")
    assert waiting["data"]["consult"]["id"] == str(consult.public_id) and waiting["data"]["arrived_at"]
    assert [e["data"]["consult"]["status"] for e in receiver.events("consult.started")] == ["in_progress"]
    assert [e["data"]["consult"]["status"] for e in receiver.events("consult.ended")] == ["ended"]
    _assert_signed_and_anonymous(receiver, endpoint)


def test_a_failed_message_is_delivered_without_its_recipient(
    consult, receiver, endpoint, django_capture_on_commit_callbacks
):
    sms = Notification.objects.get(appointment=consult, channel="sms")
    with django_capture_on_commit_callbacks(execute=True):
        record_sms_status(
            message_id=sms.provider_message_id, status="undelivered", error_code="30003", reason="unreachable"
        )
    (failed,) = receiver.events("message.failed")
    assert failed["data"]["message"] == {
        "id": str(sms.public_id),
        "channel": "sms",
        "purpose": "invitation",
        "reason": "unreachable",
    }
    _assert_signed_and_anonymous(receiver, endpoint)


def test_an_endpoint_gets_only_the_events_it_chose(book, endpoint, receiver):
    endpoint.events = ["consult.cancelled"]
    endpoint.save()
    book()
    assert receiver.received == []


def test_a_message_given_up_by_the_sweep_is_delivered_as_failed(
    consult, receiver, endpoint, settings, django_capture_on_commit_callbacks
):
    sms = Notification.objects.get(appointment=consult, channel="sms")
    long_ago = timezone.now() - timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS + 1)
    Notification.objects.filter(pk=sms.pk).update(status="sending", claimed_at=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep().interrupted == 1
        assert sweep().interrupted == 0
    (failed,) = receiver.events("message.failed")
    assert failed["data"]["message"]["reason"] == "interrupted"
    _assert_signed_and_anonymous(receiver, endpoint)


def test_planning_the_events_of_many_sessions_reads_each_thing_once(
    series, reminder, first_start, endpoint, django_assert_num_queries
):
    booked = series(first_start, Pattern(Frequency.WEEKLY, count=6), send=False)
    # As the series' writers hand them over: consults with their agent, organisation and team.
    sessions = list(Appointment.objects.filter(series=booked).select_related("agent", "organisation", "team"))
    with django_assert_num_queries(3):  # the endpoints, the series' id, one insert
        announce_consults(event_type=EventType.CONSULT_CANCELLED, appointments=sessions)
    assert Delivery.objects.filter(event_type="consult.cancelled").count() == 6
