"""Celery tasks of the waiting room: another door to the services."""

from celery import shared_task

from . import calls


@shared_task(name="waitingroom.sweep_calls", ignore_result=True)
def sweep_calls_task() -> dict:
    return {"left": calls.close_stale_attendance(), "ended": calls.end_empty_calls()}
