"""/health/ for load balancers and monitoring: JSON, 200 when the database, beat's sweep and the outbox are
well (and with Redis: Redis and a worker answering), 500 naming what is not; nothing secret in it."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import redis
from django.urls import reverse
from django.utils import timezone

from notifications.models import DeliveryStatus, Notification
from notifications.tasks import sweep_outbox_task
from tests.factories import AppointmentFactory, ParticipantFactory

URL = reverse("health")


def get(client, *args, **kwargs):
    """The view is async (django-health-check). The browser tests leave Playwright's event loop running in
    the test thread, where Django's test client cannot call an async view: the request gets a thread of its
    own, as a server would give it."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(client.get, *args, **kwargs).result()


def health(client) -> tuple[int, dict]:
    response = get(client, URL, HTTP_ACCEPT="application/json")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    return response.status_code, response.json()


@pytest.fixture(autouse=True)
def without_redis(settings):
    settings.REDIS_URL = ""


def test_healthy_once_beat_has_run_the_sweep(client, transactional_db):
    status, checks = health(client)
    assert status == 500 and checks["BeatRecent()"] == "Unavailable: beat has not run yet"
    sweep_outbox_task()  # as beat schedules it and a worker runs it
    status, checks = health(client)
    assert status == 200
    assert checks == {"Database(alias='default')": "OK", "BeatRecent()": "OK", "OutboxFlowing()": "OK"}


def test_beat_silent_for_several_sweeps_fails(client, transactional_db, settings):
    sweep_outbox_task()
    settings.HEALTH_BEAT_LATE_SECONDS = 0
    status, checks = health(client)
    assert status == 500 and checks["BeatRecent()"].startswith("Unavailable: beat last ran ")


def test_a_message_waiting_too_long_to_be_sent_fails(client, transactional_db, settings):
    sweep_outbox_task()
    participant = ParticipantFactory(appointment=AppointmentFactory())
    message = Notification.objects.create(
        organisation=participant.appointment.organisation,
        appointment=participant.appointment,
        participant=participant,
        purpose="invitation",
        channel="email",
        status=DeliveryStatus.QUEUED,
        send_after=timezone.now() - timedelta(minutes=5),
    )
    assert health(client)[0] == 200  # five minutes: within the default ten
    settings.HEALTH_UNSENT_LATE_SECONDS = 60
    status, checks = health(client)
    assert status == 500 and checks["OutboxFlowing()"].startswith("Unavailable: a message has waited 30")
    message.status = DeliveryStatus.SENT
    message.save()
    assert health(client)[0] == 200


def test_with_redis_it_asks_redis_and_the_workers_and_shows_no_address(client, transactional_db, settings):
    url = "redis://127.0.0.1:6379/14"
    try:
        redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379 (CI starts it)")
    settings.REDIS_URL = url
    sweep_outbox_task()
    status, checks = health(client)
    assert checks["Redis()"] == "OK"
    # No worker runs in this test: the broker is there, nobody answers.
    assert checks["CeleryWorker()"] == "Unavailable: no Celery worker answered" and status == 500
    assert "6379" not in str(checks) and settings.SECRET_KEY not in str(checks)


def test_a_load_balancer_may_ask_over_plain_http(client, transactional_db, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert get(client, URL, HTTP_ACCEPT="application/json").status_code in (200, 500)
    assert get(client, reverse("accounts:login")).status_code == 301


def test_prometheus_reads_the_same_checks(client, transactional_db):
    sweep_outbox_task()
    response = get(client, URL, {"format": "openmetrics"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "OutboxFlowing" in text and "BeatRecent" in text and "# EOF" in text
