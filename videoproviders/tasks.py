"""Celery tasks: another door to the services. They take ids; failures are recorded on the room row and
retried by the sweep at the time the row says, so no task retries on its own."""

import dataclasses

from celery import shared_task

from . import services


@shared_task(name="videoproviders.create_room", acks_late=True, ignore_result=True)
def create_room_task(room_id: int) -> None:
    services.create_room(room_id=room_id)


@shared_task(name="videoproviders.delete_room", acks_late=True, ignore_result=True)
def delete_room_task(room_id: int) -> None:
    services.delete_room(room_id=room_id)


@shared_task(name="videoproviders.sweep", ignore_result=True)
def sweep_rooms_task() -> dict:
    return dataclasses.asdict(services.sweep())
