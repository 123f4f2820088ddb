"""Queueing delivery tasks; what the broker does not take is left to the sweep."""

from .models import Delivery, DeliveryStatus


def enqueue_deliveries(ids: list[int]) -> None:
    from config.queueing import enqueue

    from .tasks import send_delivery_task

    left = enqueue(send_delivery_task, ids)
    if left:
        # Unqueued: the sweep's next run queues them once the broker is back, instead of after the lease.
        Delivery.objects.filter(pk__in=left, status=DeliveryStatus.PENDING).update(queued_at=None)
