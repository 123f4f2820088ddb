"""A task that fails as a real one would, about a client; the error tests' workers import it (--include)."""

import logging

from celery import shared_task
from django.conf import settings

from scheduling.models import Participant

logger = logging.getLogger("notifications.tasks")


@shared_task(name="tests.fail_about_a_client")
def fail_about_a_client(participant_id: int) -> None:
    participant = Participant.objects.get(pk=participant_id)
    logger.warning("Could not reach %s", participant.name)
    link = f"{settings.SITE_URL}/join/{participant.token}/"
    raise RuntimeError(f"Could not tell {participant.email} ({participant.phone}) about {link}")
