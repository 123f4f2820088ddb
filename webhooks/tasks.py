"""Celery tasks: another door to the services. They take ids and hold no logic of their own."""

from celery import shared_task

from . import sending, services


@shared_task(name="webhooks.send", acks_late=True, ignore_result=True)
def send_delivery_task(delivery_id: int) -> str:
    return sending.send_delivery(delivery_id=delivery_id)


@shared_task(name="webhooks.sweep", ignore_result=True)
def sweep_deliveries_task() -> dict:
    result = sending.sweep()
    return {"queued": result.queued, "recovered": result.recovered}


@shared_task(name="webhooks.prune", ignore_result=True)
def prune_deliveries_task() -> int:
    return services.prune_deliveries()
