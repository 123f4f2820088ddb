"""Redis stops: clients' links, their check-in and bookings keep working, and the log says what degraded.

The web server runs as in production (uvicorn, the production settings) with REDIS_URL pointing at an
address where no Redis listens, as after `systemctl stop redis`. The cache (the join-link rate limit), the
Celery broker and the live events all find it gone. What committed is reported as done: a booking answers
with the consult's page, its messages wait in the outbox and go out with the sweep once Redis is back.
"""

import logging
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from config import ratelimit
from notifications.models import DeliveryStatus, Notification
from notifications.services import sweep
from scheduling.models import Appointment
from tests.factories import link_participant
from tests.processes import free_port, server_environment, wait_for_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def dead_redis_url() -> str:
    """An address where nothing listens: Redis is stopped."""
    return f"redis://127.0.0.1:{free_port()}/0"


@pytest.fixture
def server(transactional_db, tmp_path, dead_redis_url):
    port = free_port()
    log = tmp_path / "server.log"
    # The production settings, and the test's own key so that the session the test logs in with is valid there.
    env = server_environment(
        var_dir=tmp_path / "var",
        env={"DJANGO_SETTINGS_MODULE": "config.settings.base", "REDIS_URL": dead_redis_url},
    )
    # The production settings serve static files from a manifest, as after a deployment's collectstatic.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, timeout=120
    )
    command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--lifespan", "off", "--timeout-graceful-shutdown", "2"]
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_port(port)
        yield url, log
    finally:
        process.terminate()
        process.wait(timeout=15)


def _session(url: str, user) -> requests.Session:
    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.headers["Accept-Language"] = "en"
    session.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
    return session


def test_links_check_in_and_booking_keep_working_while_redis_is_down(server, assistant, book, form_data):
    url, log = server
    participant = book(link_participant(), send=False).participants.get()

    page = requests.get(f"{url}/join/{participant.token}/", timeout=10)
    assert page.status_code == 200, log.read_text()[-3000:]
    assert "Lee Link" in page.text
    assert requests.post(f"{url}/join/{participant.token}/presence/", timeout=10).status_code == 200
    # The live connection opens; without Redis it hears this process's events and the page keeps fetching.
    with requests.get(f"{url}/join/{participant.token}/events/", stream=True, timeout=10) as stream:
        assert stream.status_code == 200
        assert stream.headers["Content-Type"].startswith("text/event-stream")
    unknown = requests.get(f"{url}/join/{secrets.token_urlsafe(32)}/", timeout=10)
    assert unknown.status_code == 404

    session = _session(url, assistant)
    form = session.get(f"{url}{reverse('scheduling:appointment-create')}", timeout=10)
    assert form.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    data = form_data(subject="Booked during the outage", start_time="14:00", end_time="14:30")
    data["csrfmiddlewaretoken"] = token
    answer = session.post(
        f"{url}{reverse('scheduling:appointment-create')}",
        data=data,
        headers={"Referer": url + "/"},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, re.findall(r"(?:error|alert)[^>]*>([^<]+)", answer.text)
    booked = Appointment.objects.get(subject="Booked during the outage")
    assert answer.headers["Location"].endswith(f"/consults/{booked.public_id}/")
    assert "has been booked" in session.get(url + answer.headers["Location"], timeout=10).text
    # Nothing was queued, nothing is lost: the messages wait in the outbox for the sweep.
    rows = Notification.objects.filter(appointment=booked)
    assert rows.count() == 2
    assert set(rows.values_list("status", flat=True)) == {DeliveryStatus.SCHEDULED}

    server_log = log.read_text()
    assert "Task queue unreachable" in server_log
    assert "Join-link rate limit: Redis is unreachable" in server_log
    assert "Live events: Redis unreachable" in server_log
    assert " 500 " not in server_log and "Traceback" not in server_log

    # Redis is back (here: the test's eager tasks): the sweep's next run sends them.
    mail.outbox.clear()
    sweep()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([booked.agent.email, "jan@example.org"])


def test_the_join_link_limit_still_holds_per_process_while_redis_is_down(db, client, settings, dead_redis_url, caplog):
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": dead_redis_url},
    }
    ratelimit._warned_at = 0.0
    with caplog.at_level(logging.WARNING, logger="config.ratelimit"):
        for _ in range(settings.JOIN_TOKEN_MISSES_ALLOWED):
            assert client.get(f"/join/{secrets.token_urlsafe(32)}/").status_code == 404
        assert client.get(f"/join/{secrets.token_urlsafe(32)}/").status_code == 429
    # Said once, not on every request of the outage.
    said = [r.getMessage() for r in caplog.records if r.name == "config.ratelimit"]
    assert len(said) == 1 and said[0].startswith("Join-link rate limit: Redis is unreachable")
