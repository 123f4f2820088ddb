"""Celery tasks: another door to the services. They take ids and hold no logic of their own."""

from celery import shared_task

from . import sending


@shared_task(name="webhooks.send", acks_late=True, ignore_result=True)
def send_delivery_task(delivery_id: int) -> str:
    return sending.send_delivery(delivery_id=delivery_id)


@shared_task(name="webhooks.sweep", ignore_result=True)
def sweep_deliveries_task() -> dict:
    result = sending.sweep()
    return {"queued": result.queued, "recovered": result.recovered}
