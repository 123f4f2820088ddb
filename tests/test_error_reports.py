"""Errors reported to the people who fix them, without the clients' data: to Sentry when SENTRY_DSN is set (a
real gunicorn with the real SDK, sending to a fake ingest on 127.0.0.1), by mail to ADMINS otherwise."""

import gzip
import logging
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from celery import Celery
from django.core import mail
from django.test import Client

from config.errors import admins, scrub
from config.logging import REQUEST_ID
from tests.processes import celery_worker, free_port, gunicorn_server, wait_for
from tests.test_logs import REQUEST_ID_FROM_PROXY

MESSAGE_TEXT = "Ik ben tien minuten later, groet van Jan"
SESSION = "s3ss10nv4lu3ab12cd34ef56gh78ij90"


def private_strings(known_client) -> list[str]:
    # The number also as a client would type it, and the bare name parts.
    return [
        known_client.token,
        "Jan Peters",
        "Peters",
        "jan.peters",
        "612345678",
        MESSAGE_TEXT,
        "tien minuten",
        SESSION,
    ]


def fail_with_everything_around(base_url: str, known_client, session) -> int:
    """A client's request to the failing page: a message text, their details, a session, a bearer token."""
    response = session.post(
        f"{base_url}/join/{known_client.token}/failing/?q=Jan+Peters",
        data={
            "text": MESSAGE_TEXT,
            "name": known_client.name,
            "email": known_client.email,
            "phone": known_client.phone,
        },
        headers={
            "X-Request-ID": REQUEST_ID_FROM_PROXY,
            "Authorization": "Bearer abcdef0123456789",
            "Cookie": f"sessionid={SESSION}",
        },
    )
    return response.status_code


class FakeSentry(BaseHTTPRequestHandler):
    """Sentry's envelope endpoint: keeps each envelope's text."""

    envelopes: list[str]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.envelopes.append(body.decode())
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format, *args) -> None:
        pass


@pytest.fixture
def sentry():
    envelopes: list[str] = []
    handler = type("Handler", (FakeSentry,), {"envelopes": envelopes})
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], envelopes
    server.shutdown()
    server.server_close()
    thread.join()


def test_an_error_reaches_sentry_without_tokens_names_numbers_or_message_texts(known_client, sentry, tmp_path):
    port, envelopes = sentry
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.failing_settings",
        "SENTRY_DSN": f"http://publickey@127.0.0.1:{port}/1",
        "SENTRY_ENVIRONMENT": "test",
    }
    with gunicorn_server(var_dir=tmp_path / "var", env=env) as site, requests.Session() as session:
        assert fail_with_everything_around(site, known_client, session) == 500
        deadline = time.monotonic() + 15
        while not any('"type":"event"' in envelope for envelope in envelopes) and time.monotonic() < deadline:
            time.sleep(0.1)
    sent = "\n".join(envelopes)
    assert '"type":"event"' in sent, sent
    assert "RuntimeError" in sent
    assert "Could not tell [email] ([phone]) about http://[address]:8000/join/[token]/" in sent
    assert f'"request_id":"{REQUEST_ID_FROM_PROXY}"' in sent  # the way into the site's own log
    for private in private_strings(known_client):
        assert private not in sent
    assert "abcdef0123456789" not in sent  # the bearer token


def test_a_failed_task_reaches_sentry_with_its_request_id_and_without_personal_data(
    known_client, sentry, tmp_path, redis_url
):
    port, envelopes = sentry
    queue = f"errors-{uuid.uuid4().hex}"
    env = {"REDIS_URL": redis_url, "SENTRY_DSN": f"http://publickey@127.0.0.1:{port}/1"}
    producer = Celery(broker=redis_url)
    with celery_worker(var_dir=tmp_path / "var", queue=queue, log=tmp_path / "worker.log", env=env):
        try:
            reset = REQUEST_ID.set(REQUEST_ID_FROM_PROXY)  # queued during a request, as a booking's messages are
            try:
                producer.send_task("tests.fail_about_a_client", args=[known_client.pk], queue=queue)
            finally:
                REQUEST_ID.reset(reset)
            wait_for(lambda: any('"type":"event"' in e for e in envelopes), seconds=30, what="the task's event")
        finally:
            producer.close()
    sent = "\n".join(envelopes)
    assert "Could not tell [email] ([phone]) about http://[address]:8000/join/[token]/" in sent
    assert "tests.fail_about_a_client" in sent
    assert f'"request_id":"{REQUEST_ID_FROM_PROXY}"' in sent
    for private in private_strings(known_client):
        assert private not in sent


def test_without_sentry_errors_are_mailed_to_admins_without_personal_data(known_client, settings):
    settings.ROOT_URLCONF = "tests.failing_site"
    settings.ADMINS = admins("Ops <ops@example.nl>")
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = SESSION
    response = client.post(
        f"/join/{known_client.token}/failing/?q=Jan+Peters",
        {"text": MESSAGE_TEXT, "name": known_client.name, "email": known_client.email, "phone": known_client.phone},
        headers={"X-Request-ID": REQUEST_ID_FROM_PROXY},
    )
    assert response.status_code == 500
    [report] = mail.outbox
    assert report.to == ["ops@example.nl"]
    assert "Internal Server Error: /join/[token]/failing/" in report.subject
    assert "Could not tell [email] ([phone]) about http://[address]:8000/join/[token]/" in report.body
    assert "Traceback" in report.body and "q = '********************'" in report.body
    sent = report.subject + report.body + "".join(str(part) for part in report.attachments)
    for private in private_strings(known_client):
        assert private not in sent


def test_without_sentry_an_error_outside_a_request_is_mailed_too(settings):
    """A Celery task that failed, a message that could not be sent: every ERROR, as Sentry would have it."""
    settings.ADMINS = admins("Ops <ops@example.nl>")
    logging.getLogger("notifications.services").warning("Retrying message 7 to jan.peters@example.org")
    try:
        raise ConnectionError("SMTP refused jan.peters@example.org")
    except ConnectionError:
        logging.getLogger("notifications.services").exception("Sending message 7 failed unexpectedly")
    [report] = mail.outbox
    assert "Sending message 7 failed unexpectedly" in report.subject
    assert "ConnectionError" in report.body and "SMTP refused [email]" in report.body
    assert "jan.peters" not in report.subject + report.body


def test_admins_are_read_as_names_and_addresses():
    assert admins("Ops <ops@example.nl>, Jan de Vries <jan@example.nl>") == [
        ("Ops", "ops@example.nl"),
        ("Jan de Vries", "jan@example.nl"),
    ]
    assert admins("") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("to jan.peters@example.org or +31 6 1234 5678", "to [email] or [phone]"),
        ("call 0612345678 or 06-12345678 from 192.0.2.7", "call [phone] or [phone] from [address]"),
        # What looks like a number but is none stays: times, versions, ids.
        (
            "2026-12-02T12:42:00.123Z uvicorn 0.54.0 id 0a84b80986a74eb3",
            "2026-12-02T12:42:00.123Z uvicorn 0.54.0 id 0a84b80986a74eb3",
        ),
    ],
)
def test_scrub_replaces_addresses_and_numbers_only(text, expected):
    assert scrub(text) == expected
