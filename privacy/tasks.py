"""Celery tasks: another door to the services."""

from celery import shared_task

from . import services


@shared_task(name="privacy.erase_expired", ignore_result=True)
def erase_expired_task() -> dict:
    result = services.erase_expired()
    return {"participants": result.participants, "consults": result.consults}
