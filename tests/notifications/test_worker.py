"""A real Celery worker on Redis sends 200 emails to a real SMTP server, and is killed with SIGKILL half-way.

After a restart every message arrives exactly once: the rows the dead worker had claimed or prefetched
are recovered by the sweep (which runs in the restarted worker's beat), and the claim keeps the copies
that Redis and the sweep both deliver from sending twice.
"""

import asyncio
import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller
from celery import Celery
from django.conf import settings

from notifications.models import DeliveryStatus, Notification, Purpose
from tests.factories import AppointmentFactory, ParticipantFactory
from tests.processes import free_port, server_environment
from tests.smtp import SmtpListener

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 200
LEASE_SECONDS = 3


class SlowSmtpListener(SmtpListener):
    """Takes a little time per message, as a real server does, so the kill lands in the middle of the work."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.02)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def redis_url():
    url = settings.REDIS_URL or "redis://127.0.0.1:6379/0"
    url = url.rsplit("/", 1)[0] + "/13"  # a database of its own, emptied before and after
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip(f"Redis is not running at {url} (make run does not need it; CI starts it)")
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


def _start_worker(tmp_path: Path, redis_url: str, smtp_port: int) -> subprocess.Popen:
    env = server_environment(
        var_dir=tmp_path / "var",
        env={
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "REDIS_URL": redis_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "SECRET_KEY": "worker-test",
            "NOTIFICATION_LEASE_SECONDS": str(LEASE_SECONDS),
            "NOTIFICATION_SWEEP_SECONDS": "1",
        },
    )
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-B", "--concurrency=4", "--loglevel=WARNING"]
    command += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
    # A session of its own, so SIGKILL to the group takes the pool's children down with the parent.
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL)


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_every_message_arrives_once_although_the_worker_is_killed_half_way(tmp_path, redis_url):
    listener = SlowSmtpListener()
    port = free_port()
    controller = Controller(listener, hostname="127.0.0.1", port=port)
    controller.start()
    appointments = [AppointmentFactory() for _ in range(MESSAGES // 10)]
    rows = []
    for number in range(MESSAGES):
        participant = ParticipantFactory(appointment=appointments[number // 10], email=f"client{number}@example.org")
        rows.append(
            Notification(
                organisation_id=participant.appointment.organisation_id,
                appointment=participant.appointment,
                participant=participant,
                purpose=Purpose.INVITATION,
                channel="email",
                to=participant.email,
                dedupe_key=f"worker-test:{number}",
                send_after=participant.created_at,
                queued_at=participant.created_at,
                status=DeliveryStatus.QUEUED,
            )
        )
    ids = [row.pk for row in Notification.objects.bulk_create(rows)]
    # Not the current app: the suite's shared tasks must stay on the project's (eager) app after this test.
    sender = Celery(broker=redis_url, set_as_current=False)
    worker = _start_worker(tmp_path, redis_url, port)
    try:
        for pk in ids:
            sender.send_task("notifications.send", args=[pk])
        _wait(lambda: len(listener.received) >= MESSAGES // 3, 60, "a third of the messages")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
        arrived_before_kill = len(listener.received)
        in_flight = set(Notification.objects.filter(status=DeliveryStatus.SENDING).values_list("pk", flat=True))
        assert arrived_before_kill < MESSAGES, "the worker finished before it was killed; nothing was tested"

        worker = _start_worker(tmp_path, redis_url, port)
        _wait(lambda: not Notification.objects.exclude(status=DeliveryStatus.SENT).exists(), 240, "every row sent")
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
        sender.close()
        controller.stop()

    received = collections.Counter(message["Message-ID"] for message in listener.received)
    expected = {f"<notification.{pk}." for pk in ids}
    assert {message_id.split("notification.")[1].split(".")[0] for message_id in received} == {
        prefix.split(".")[1] for prefix in expected
    }
    # A row the dead worker was sending may have reached the server just before the kill; it goes again with
    # the same Message-ID, which mail clients treat as one message. Every other message arrived exactly once.
    twice = {message_id for message_id, count in received.items() if count > 1}
    twice_rows = {int(message_id.split("notification.")[1].split(".")[0]) for message_id in twice}
    assert twice_rows <= in_flight
    assert max(received.values()) <= 2
    assert len(listener.received) == MESSAGES + len(twice)
