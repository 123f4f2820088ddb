"""Two workers given the same delivery at the same instant (a task queued twice, a sweep and a late task),
each in its own thread with its own database connection: the receiver gets it once, because sending starts
with a conditional UPDATE that only one of them wins. The race shows on PostgreSQL; on SQLite they take
turns."""

import pytest
from django.utils import timezone

from tests.threads import at_once
from webhooks.models import Delivery, DeliveryStatus
from webhooks.sending import send_delivery

TRIALS = 3


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_one_delivery_send_it_once(book, endpoint, receiver):
    book()  # outside a test transaction the booking's own task sends it at once
    delivery = Delivery.objects.get()
    before = len(receiver.received)
    for trial in range(1, TRIALS + 1):
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(), queued_at=None
        )
        results = at_once([lambda: send_delivery(delivery_id=delivery.pk)] * 2)
        assert sorted(results) == [DeliveryStatus.DELIVERED, "not-claimed"]
        assert len(receiver.received) == before + trial
    assert all(request.verified for request in receiver.received)
