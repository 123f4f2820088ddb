"""Sending: once per delivery however many claim it, passing failures tried again later, refusals not, and
nothing at all for a change that was not saved."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from webhooks.models import Delivery, DeliveryStatus
from webhooks.sending import LONGEST_WAIT, MAX_ATTEMPTS, send_delivery, sweep
from webhooks.services import prune_deliveries


class Rollback(Exception):
    pass


def _due_now(delivery: Delivery) -> None:
    # Time passes: the retry's moment has come.
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_a_server_error_is_tried_again_later_then_delivered(
    book, endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.answers = [500, 503]
    book()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.response_status == 500 and "refused with 500" in delivery.response_excerpt
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=50)
    # Not due yet: the sweep leaves it.
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep().queued == 0
    for _ in range(2):
        _due_now(delivery)
        with django_capture_on_commit_callbacks(execute=True):
            assert sweep().queued == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.DELIVERED, 3, 200)
    assert delivery.next_attempt_at is None and delivery.delivered_at is not None
    assert len(receiver.received) == 3 and all(r.verified for r in receiver.received)
    # Every attempt carries the same event and delivery ids.
    assert len({(r.headers["Videoconsult-Event"], r.headers["Videoconsult-Delivery"]) for r in receiver.received}) == 1


def test_a_client_error_fails_at_once_without_retry(book, endpoint, receiver, django_capture_on_commit_callbacks):
    receiver.answers = [410]
    book()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.FAILED, 1, 410)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(now=timezone.now() + timedelta(days=2)).queued == 0
    assert len(receiver.received) == 1


def test_too_many_requests_and_no_connection_are_passing_failures(book, endpoint, receiver, settings):
    receiver.answers = [429]
    book()
    assert Delivery.objects.get().status == DeliveryStatus.PENDING
    receiver.stop()
    delivery = Delivery.objects.get()
    _due_now(delivery)
    assert send_delivery(delivery_id=delivery.pk) == DeliveryStatus.PENDING
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and "ConnectionError" in delivery.response_excerpt
    receiver.start()  # for the fixture's stop


def test_a_receiver_s_retry_after_is_honoured_within_limits(book, endpoint, receiver):
    receiver.answers, receiver.retry_after = [429, 503], "3600"
    book()
    delivery = Delivery.objects.get()
    hour = timezone.now() + timedelta(hours=1)
    assert hour - timedelta(seconds=5) < delivery.next_attempt_at <= hour
    receiver.retry_after = str(7 * 24 * 3600)  # a week: no longer than LONGEST_WAIT
    _due_now(delivery)
    assert send_delivery(delivery_id=delivery.pk) == DeliveryStatus.PENDING
    delivery.refresh_from_db()
    assert timezone.now() + LONGEST_WAIT - timedelta(minutes=1) < delivery.next_attempt_at
    assert delivery.next_attempt_at <= timezone.now() + LONGEST_WAIT


def test_the_last_attempt_fails_the_delivery(book, endpoint, receiver):
    receiver.answers = [502]
    book(send=False)
    delivery = Delivery.objects.get()
    Delivery.objects.filter(pk=delivery.pk).update(attempts=MAX_ATTEMPTS - 1)
    assert send_delivery(delivery_id=delivery.pk) == DeliveryStatus.FAILED


def test_no_event_when_the_change_is_rolled_back(book, endpoint, receiver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Rollback), transaction.atomic():
        book(send=False)
        assert Delivery.objects.exists()
        raise Rollback
    assert callbacks == []
    assert not Delivery.objects.exists()
    assert receiver.received == []


def test_two_claimers_send_once(book, endpoint, receiver):
    book(send=False)
    delivery = Delivery.objects.get()
    assert receiver.received == []
    assert send_delivery(delivery_id=delivery.pk) == DeliveryStatus.DELIVERED
    # A second task for the same row (queued twice, or a second worker) finds it claimed.
    assert send_delivery(delivery_id=delivery.pk) == "not-claimed"
    assert len(receiver.received) == 1


def test_a_lost_task_is_queued_again_by_the_sweep(
    book, endpoint, receiver, settings, django_capture_on_commit_callbacks
):
    book(send=False)  # queued, but no worker has run it
    delivery = Delivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep().queued == 0  # its task was queued a moment ago
    assert receiver.received == []
    long_ago = timezone.now() - timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS + 1)
    Delivery.objects.filter(pk=delivery.pk).update(queued_at=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep().queued == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and len(receiver.received) == 1


def test_a_row_whose_worker_died_while_sending_is_sent_again(
    book, endpoint, receiver, settings, django_capture_on_commit_callbacks
):
    book(send=False)
    long_ago = timezone.now() - timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS + 1)
    Delivery.objects.update(status=DeliveryStatus.SENDING, claimed_at=long_ago, queued_at=None, attempts=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep().recovered == 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert len(receiver.received) == 1


def test_an_address_no_longer_allowed_gets_nothing(book, endpoint, receiver, settings):
    settings.OUTBOUND_API_URLS = ["https://hooks.example.org/"]
    book()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and "no longer allowed" in delivery.response_excerpt
    assert receiver.received == []


def test_the_log_keeps_its_days_and_what_is_still_pending(book, endpoint, receiver, settings, tomorrow_at):
    receiver.answers = [500]
    book()
    book(start=tomorrow_at(14))
    pending, delivered = Delivery.objects.order_by("pk")
    assert (pending.status, delivered.status) == (DeliveryStatus.PENDING, DeliveryStatus.DELIVERED)
    later = timezone.now() + timedelta(days=settings.WEBHOOK_LOG_DAYS, minutes=1)
    assert prune_deliveries(now=later - timedelta(minutes=2)) == 0
    assert prune_deliveries(now=later) == 1
    assert list(Delivery.objects.all()) == [pending]
