"""Sending one row: claim first, retry what may pass later, record what will not; the sweep recovers the rest."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from notifications.errors import DeliveryError
from notifications.models import DeliveryStatus, Notification, Purpose, Reason
from notifications.services import MAX_ATTEMPTS, send_notification, sweep
from notifications.sms import locmem
from tests.factories import ReminderRuleFactory

from .conftest import email_participant, sms_participant


@pytest.fixture
def queued(book):
    """A booking whose invitations are queued but not yet picked up by a worker."""
    return lambda *participants: book(*participants, send=False)


def _participant_row(appointment, purpose=Purpose.INVITATION) -> Notification:
    return Notification.objects.get(appointment=appointment, participant__isnull=False, purpose=purpose)


def test_a_task_that_runs_twice_sends_once(queued):
    row = _participant_row(queued())
    assert send_notification(notification_id=row.pk) == DeliveryStatus.SENT
    assert send_notification(notification_id=row.pk) == "not-claimed"
    assert [m.to for m in mail.outbox] == [["chris@example.org"]]
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 1)
    assert row.provider_message_id.startswith("<notification.")
    assert row.sent_at is not None


def test_a_temporary_failure_is_tried_again_later_through_the_sweep(
    queued, sms_outbox, django_capture_on_commit_callbacks
):
    row = _participant_row(queued(sms_participant()))
    locmem.failures.append(DeliveryError("Twilio error 20429: Too Many Requests"))
    before = timezone.now()
    assert send_notification(notification_id=row.pk) == DeliveryStatus.SCHEDULED
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SCHEDULED
    assert row.reason == Reason.TEMPORARY and "20429" in row.last_error
    assert before + timedelta(seconds=55) < row.send_after < before + timedelta(minutes=2)
    assert sms_outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        sweep(now=row.send_after)
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT and row.attempts == 2
    assert len(sms_outbox) == 1


def test_a_permanent_failure_is_recorded_and_not_retried(queued, sms_outbox):
    row = _participant_row(queued(sms_participant()))
    locmem.failures.append(DeliveryError("Twilio error 21211", permanent=True, reason=Reason.INVALID_ADDRESS))
    assert send_notification(notification_id=row.pk) == DeliveryStatus.FAILED
    row.refresh_from_db()
    assert (row.status, row.reason) == (DeliveryStatus.FAILED, Reason.INVALID_ADDRESS)
    assert row.get_reason_display() == "The email address or mobile number does not exist."
    sweep(now=timezone.now() + timedelta(hours=1))
    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED and sms_outbox == []


def test_temporary_failures_give_up_after_the_last_attempt(queued):
    row = _participant_row(queued(sms_participant()))
    for _attempt in range(MAX_ATTEMPTS):
        locmem.failures.append(DeliveryError("timeout"))
        Notification.objects.filter(pk=row.pk).update(status=DeliveryStatus.QUEUED)
        send_notification(notification_id=row.pk)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.reason) == (DeliveryStatus.FAILED, MAX_ATTEMPTS, Reason.TEMPORARY)


def test_the_sweep_queues_due_reminders_only(book, organisation, tomorrow_at, django_capture_on_commit_callbacks):
    ReminderRuleFactory(organisation=organisation, amount=1, unit="hours")
    ReminderRuleFactory(organisation=organisation, amount=5, unit="minutes")
    book(email_participant(), start=tomorrow_at(10))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep(now=tomorrow_at(9, 1))
    assert result.due == 1
    assert [m.subject.split(":")[0] for m in mail.outbox] == ["Reminder"]
    statuses = dict(Notification.objects.filter(purpose=Purpose.REMINDER).values_list("send_after", "status"))
    assert statuses == {tomorrow_at(9): DeliveryStatus.SENT, tomorrow_at(9, 55): DeliveryStatus.SCHEDULED}


def test_the_sweep_requeues_rows_whose_task_was_lost(queued, settings, django_capture_on_commit_callbacks):
    row = _participant_row(queued())
    later = timezone.now() + timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep(now=later)
    assert result.requeued == 2  # the agent's and the participant's invitation, never picked up
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT


def test_an_email_interrupted_mid_send_goes_again_with_the_same_message_id(queued, settings):
    row = _participant_row(queued())
    send_notification(notification_id=row.pk)
    first_id = mail.outbox[0].extra_headers["Message-ID"]
    # As if the worker died after the mail server accepted it, before the row was marked sent.
    claimed = timezone.now() - timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS + 1)
    Notification.objects.filter(pk=row.pk).update(status=DeliveryStatus.SENDING, claimed_at=claimed)
    sweep()
    send_notification(notification_id=row.pk)
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [first_id, first_id]


def test_an_sms_interrupted_mid_send_is_not_sent_twice_but_shown(queued, settings, sms_outbox):
    row = _participant_row(queued(sms_participant()))
    claimed = timezone.now() - timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS + 1)
    Notification.objects.filter(pk=row.pk).update(status=DeliveryStatus.SENDING, claimed_at=claimed)
    assert sweep().interrupted == 1
    row.refresh_from_db()
    assert (row.status, row.reason) == (DeliveryStatus.FAILED, Reason.INTERRUPTED)
    assert sms_outbox == []


def test_a_reminder_due_after_the_start_is_not_sent(book, organisation, tomorrow_at):
    ReminderRuleFactory(organisation=organisation, amount=1, unit="hours")
    appointment = book(email_participant(), start=tomorrow_at(10))
    reminder = Notification.objects.get(appointment=appointment, purpose=Purpose.REMINDER)
    appointment.__class__.objects.filter(pk=appointment.pk).update(
        start=timezone.now() - timedelta(minutes=1), end=timezone.now() + timedelta(minutes=30)
    )
    Notification.objects.filter(pk=reminder.pk).update(status=DeliveryStatus.QUEUED)
    assert send_notification(notification_id=reminder.pk) == DeliveryStatus.CANCELLED
    reminder.refresh_from_db()
    assert reminder.reason == Reason.TOO_LATE


def test_an_sms_asks_twilio_to_drop_it_when_the_link_has_expired(book, sms_outbox, tomorrow_at):
    before = timezone.now()
    appointment = book(sms_participant(), start=tomorrow_at(10))
    valid_for = sms_outbox[0].valid_for
    # Whole seconds from the moment of sending, which lies between these two.
    assert (appointment.link_expires_at - timezone.now()).total_seconds() - 1 <= valid_for
    assert valid_for <= (appointment.link_expires_at - before).total_seconds()
