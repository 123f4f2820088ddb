import logging.config
import os
from typing import Any

from celery import Celery, Task, signals

from config.logging import NO_REQUEST, REQUEST_ID

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("videoconsult")
# All Celery settings live in Django settings under the CELERY_ prefix.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The header that carries the id of the request a task was queued in, to the worker's lines of that task.
REQUEST_ID_HEADER = "request_id"


@signals.setup_logging.connect
def log_as_the_web_servers_do(loglevel: int | None = None, **kwargs: Any) -> None:
    """Without a receiver here, Celery replaces the root logger's handlers with its own format: the worker and
    beat log through Django's LOGGING instead. The command line's --loglevel still decides their level."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    if loglevel:
        logging.getLogger().setLevel(loglevel)


@signals.before_task_publish.connect
def carry_the_request_id(headers: dict[str, Any], **kwargs: Any) -> None:
    if (request_id := REQUEST_ID.get()) != NO_REQUEST:
        headers[REQUEST_ID_HEADER] = request_id


@signals.task_prerun.connect
def log_with_the_request_id(task: Task, **kwargs: Any) -> None:
    # A task run eagerly (tests) is inside its request already; a worker's task finds the id in its headers.
    if request_id := task.request.get(REQUEST_ID_HEADER):
        REQUEST_ID.set(request_id)


@signals.task_postrun.connect
def forget_the_request_id(task: Task, **kwargs: Any) -> None:
    # The worker's process goes on to other tasks: only this one's lines carry the id.
    if task.request.get(REQUEST_ID_HEADER):
        REQUEST_ID.set(NO_REQUEST)
