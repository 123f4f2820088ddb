"""/health/ for load balancers and monitoring (django-health-check): the database, and with Redis the broker
and a Celery worker answering; beat's last run and the oldest unsent message (notifications.health). JSON
with `?format=json` or `Accept: application/json`, 500 when a check fails; no secret in it (checks show
their class name and a short reason). Each check costs a query or a round trip: fine every few seconds."""

import dataclasses
from collections.abc import Iterator

import redis.asyncio
from django.conf import settings
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

from notifications.health import BeatRecent, OutboxFlowing


@dataclasses.dataclass
class CeleryWorker(HealthCheck):
    """At least one worker answers a ping within a second (the first answer ends the wait)."""

    def run(self) -> None:
        from config.celery import app

        try:
            replies = app.control.ping(timeout=1.0, limit=1)
        except OSError as error:
            raise ServiceUnavailable("the broker cannot be reached") from error
        if not replies:
            raise ServiceUnavailable("no Celery worker answered")


class RedisServer(Redis):
    """django-health-check's Redis ping, named without the server's address (the URL is public)."""

    def __repr__(self) -> str:
        return "Redis()"


def _redis_client() -> redis.asyncio.Redis:
    timeouts = settings.REDIS_TIMEOUTS
    return redis.asyncio.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=timeouts["socket_connect_timeout"],
        socket_timeout=timeouts["socket_timeout"],
    )


class HealthView(HealthCheckView):
    def get_checks(self) -> Iterator[HealthCheck]:
        yield Database()
        if settings.REDIS_URL:
            yield RedisServer(client_factory=_redis_client)
            # Pinging workers needs a broker that broadcasts: Redis; `make run`'s filesystem broker does not,
            # and there beat's pulse below shows the worker ran the sweep.
            yield CeleryWorker()
        yield BeatRecent()
        yield OutboxFlowing()
