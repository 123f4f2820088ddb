"""Queueing Celery tasks once a transaction has committed.

The database is the schedule: outbox rows and video rooms wait there, and beat's sweeps queue whatever is
due. So a broker that cannot be reached (Redis down) must not turn a booking that was saved into an error
page, or make an assistant book it twice: what could not be queued is logged and left to the sweep.
"""

import logging
from collections.abc import Sequence

from celery import Task
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def enqueue(task: Task, ids: Sequence[int]) -> list[int]:
    """Queue `task(id)` for every id. Returns the ids that were not queued because the broker could not be
    reached; after the first such failure the rest are not tried (each try waits for the broker)."""
    for index, pk in enumerate(ids):
        try:
            task.delay(pk)
        except OperationalError as error:
            left = list(ids[index:])
            logger.warning(
                "Task queue unreachable (%s): %d %s task(s) not queued; the periodic sweep queues them once it is back",
                error,
                len(left),
                task.name,
            )
            return left
    return []
