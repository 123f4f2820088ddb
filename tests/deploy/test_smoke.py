"""The deployment of deploy/ on this machine, as the README tells an operator to make it: nginx with the site
(TLS, with a certificate made for the test), the pages (gunicorn), the event streams (uvicorn), a Celery worker
and beat started with their units' command lines and the environment file's variables, on PostgreSQL and Redis;
videoconsult-manage migrates and collects the static files. Only the paths, the ports and the values of the
environment are the test's own. Everything runs on 127.0.0.1; mail goes to an SMTP listener of the test.

Through nginx, an assistant books a consult; the worker's invitation arrives; the client's link from it opens
the join page; the client's check-in reaches the agent's event stream; and nginx's access log keeps no token."""

import contextlib
import json
import os
import re
import signal
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import redis
import requests

from tests.deploy import files
from tests.deploy.deployment import Services, deployed
from tests.live import next_event, wait_for_listener
from tests.smtp import SmtpListener, listening

CLIENT = "jan.peters@example.org"

# The organisation, its team, an assistant and an agent, as an admin would make them in /admin/.
SEED = """
import json
from tests.factories import PASSWORD, TeamFactory, agent_of, assistant_of
team = TeamFactory(organisation__name="Praktijk De Linde")
assistant = assistant_of(team, email="assistent@example.org", language="en")
agent = agent_of(team, email="arts@example.org", language="en")
print(json.dumps({"team": team.pk, "agent": agent.pk, "password": PASSWORD}))
"""


def requirements() -> tuple[str, str, str]:
    """DATABASE_URL, REDIS_URL and nginx's path, or the reason to skip."""
    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")) or not redis_url:
        pytest.skip("the smoke deployment runs on PostgreSQL and Redis (DATABASE_URL, REDIS_URL), as CI's second pass")
    nginx = files.tool("nginx")
    try:
        with contextlib.closing(redis.Redis.from_url(redis_url)) as connection:
            connection.ping()
    except redis.ConnectionError:
        pytest.skip(f"Redis is not running at {redis_url}")
    return database_url, redis_url, nginx


def csrf_token(page: requests.Response) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match, page.text[:500]
    return match.group(1)


def browser(certificate: Path) -> requests.Session:
    """Trusts the test's certificate and nothing from the environment (a CA bundle, a proxy) overrides it."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(certificate)
    return session


def logged_in(base: str, certificate: Path, email: str, password: str) -> requests.Session:
    session = browser(certificate)
    login = session.get(f"{base}/accounts/login/", timeout=10)
    answer = session.post(
        f"{base}/accounts/login/",
        data={"username": email, "password": password, "csrfmiddlewaretoken": csrf_token(login)},
        headers={"Referer": login.url},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text[-1000:]
    return session


def booking(team: int, agent: int, day: date) -> dict[str, str]:
    return {
        "date": day.isoformat(),
        "start_time": "10:00",
        "end_time": "10:30",
        "team": str(team),
        "agent": str(agent),
        "subject": "Intake",
        "message": "Welcome",
        "sequence": "",
        "participants-TOTAL_FORMS": "1",
        "participants-INITIAL_FORMS": "0",
        "participants-MIN_NUM_FORMS": "1",
        "participants-MAX_NUM_FORMS": "10",
        "participants-0-name": "Jan Peters",
        "participants-0-channel": "email",
        "participants-0-email": CLIENT,
        "participants-0-phone": "",
        "participants-0-language": "en",
    }


def invitation(listener: SmtpListener, services: Services, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while not listener.to(CLIENT):
        assert time.monotonic() < deadline, f"the client's invitation did not arrive\n{services.logs()}"
        time.sleep(0.2)
    (message,) = listener.to(CLIENT)
    return message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture
def deployment(tmp_path) -> Iterator[dict]:
    database_url, redis_url, nginx = requirements()
    listener = SmtpListener()
    with (
        listening(listener) as smtp_port,
        deployed(
            tmp_path, database_url=database_url, redis_url=redis_url, nginx=nginx, smtp_port=smtp_port, seed=SEED,
            # Beat's first sweep comes one interval after it starts; /health/ waits for it.
            extra_environment="NOTIFICATION_SWEEP_SECONDS=2\n",
        ) as (running, seeded),
    ):  # fmt: skip
        yield {
            "base": running.base,
            "http": running.http,
            "certificate": running.certificate,
            "redis_url": redis_url,
            "smtp": listener,
            "services": running.services,
            "access_log": tmp_path / "videoconsult.access.log",
            **json.loads(seeded),
        }


def test_a_consult_booked_through_nginx_reaches_the_client_and_the_agent_hears_the_arrival(deployment):
    base, certificate, services = deployment["base"], deployment["certificate"], deployment["services"]
    password = deployment["password"]

    # An assistant books a consult for tomorrow.
    assistant = logged_in(base, certificate, "assistent@example.org", password)
    form = assistant.get(f"{base}/consults/new/", timeout=10)
    tomorrow = (datetime.now(ZoneInfo("Europe/Amsterdam")) + timedelta(days=1)).date()
    data = booking(deployment["team"], deployment["agent"], tomorrow) | {"csrfmiddlewaretoken": csrf_token(form)}
    booked = assistant.post(form.url, data=data, headers={"Referer": form.url}, allow_redirects=False, timeout=30)
    assert booked.status_code == 302, services.logs()

    # The worker sends the invitation; its link is the client's way in.
    text = invitation(deployment["smtp"], services)
    link = re.search(rf"{re.escape(base)}/join/([A-Za-z0-9_-]+)/", text)
    assert link, text
    token, join_url = link.group(1), link.group(0)

    client = browser(certificate)
    page = client.get(join_url, timeout=10)
    assert page.status_code == 200
    assert "Welcome, Jan Peters" in page.text
    # The page's scripts come with the join page's address as Referer, as a browser sends them.
    script = re.search(r'<script[^>]+src="(/static/[^"]+\.js)"', page.text)
    assert script, page.text[:2000]
    assert client.get(base + script.group(1), headers={"Referer": join_url}, timeout=10).status_code == 200

    # The agent's waiting room listens through nginx (uvicorn: gunicorn would answer 503).
    agent = logged_in(base, certificate, "arts@example.org", password)
    with contextlib.closing(redis.Redis.from_url(deployment["redis_url"])) as connection:
        patterns = connection.pubsub_numpat()
    with agent.get(f"{base}/waiting-room/events/", stream=True, timeout=(5, 10)) as stream:
        assert stream.status_code == 200
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        lines = stream.iter_lines(decode_unicode=True)
        wait_for_listener(deployment["redis_url"], patterns)
        with client.get(f"{join_url}events/", stream=True, timeout=(5, 10)) as client_stream:
            assert client_stream.status_code == 200
            checked_in = client.post(f"{join_url}presence/", headers={"Referer": join_url}, timeout=10)
            assert checked_in.json()["state"] == "waiting"
            assert next_event(lines) == "presence"

    # A mail scanner may percent-encode a link's characters; the link still works and its log line still
    # hides it.
    # (requests would decode an unreserved character again, so the address is set after preparing.)
    encoded = client.prepare_request(requests.Request("GET", join_url))
    encoded.url = f"{base}/join/%{ord(token[0]):02X}{token[1:]}/"
    assert client.send(encoded, timeout=10).status_code == 200

    # Plain http sends people to https.
    redirect = client.get(f"{deployment['http']}/consults/new/", allow_redirects=False, timeout=10)
    assert redirect.status_code == 301
    assert redirect.headers["Location"] == "https://127.0.0.1/consults/new/"

    # Worker and beat are alive and working: the health check asks the worker and looks for beat's sweep.
    deadline = time.monotonic() + 30
    while (health := client.get(f"{base}/health/?format=json", timeout=10)).status_code != 200:
        assert time.monotonic() < deadline, health.text
        time.sleep(0.5)

    # Stopped as systemd stops them, each is gone before its unit's TimeoutStopSec.
    took = services.stop({name: signal.SIGTERM for name in files.SERVICES} | {"nginx": signal.SIGQUIT})
    for service in files.SERVICES:
        (timeout,) = files.unit_settings(files.unit_path(service))["Service.TimeoutStopSec"]
        assert took[service] < int(timeout), took

    log = deployment["access_log"].read_text()
    assert token not in log
    assert token[1:] not in log
    assert '"GET /join/[token]/ HTTP/1.1" 200' in log
    assert '"POST /join/[token]/presence/ HTTP/1.1" 200' in log
    assert f'"{base}/join/[token]/"' in log  # the script's Referer
    assert re.search(r"id=[0-9a-f]{32}$", log, flags=re.MULTILINE)
