"""Celery tasks: another door to the services. They take ids and hold no logic of their own."""

from celery import shared_task

from . import services
from .health import BEAT


@shared_task(name="notifications.send", acks_late=True, ignore_result=True)
def send_notification_task(notification_id: int) -> str:
    return services.send_notification(notification_id=notification_id)


@shared_task(name="notifications.sweep", ignore_result=True)
def sweep_outbox_task() -> dict:
    # Only beat schedules the sweep: its last run is beat's (and a worker's) sign of life for /health/.
    services.beat_ran(name=BEAT)
    result = services.sweep()
    return {"due": result.due, "requeued": result.requeued, "interrupted": result.interrupted}
