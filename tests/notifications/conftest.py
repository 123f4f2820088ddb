import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from notifications.sms import locmem
from tests.factories import email_participant, link_participant, sms_participant  # noqa: F401 - the tests import them from here
from tests.smtp import SmtpListener, listening


@pytest.fixture
def smtp(settings) -> Iterator[SmtpListener]:
    listener = SmtpListener()
    with listening(listener) as port:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        yield listener


@pytest.fixture(autouse=True)
def sms_outbox() -> Iterator[list[locmem.SmsMessage]]:
    locmem.outbox.clear()
    locmem.failures.clear()
    yield locmem.outbox
    locmem.outbox.clear()
    locmem.failures.clear()


ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "fake-auth-token"


def answer_json(handler: BaseHTTPRequestHandler, status: int, body: dict) -> None:
    """A fake service's JSON answer."""
    payload = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    handler.wfile.write(payload)


class FakeTwilio(BaseHTTPRequestHandler):
    """Answers POST /2010-04-01/Accounts/<sid>/Messages.json as Twilio does, and remembers each request."""

    requests: list[dict] = []
    answers: list[tuple[int, dict]] = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        form = {key: values[0] for key, values in parse_qs(self.rfile.read(length).decode()).items()}
        self.requests.append({"path": self.path, "auth": self.headers["Authorization"], "form": form})
        status, body = self.answers.pop(0) if self.answers else (201, {})
        answer_json(self, status, {"sid": f"SM{len(self.requests):032d}", "status": "queued", **body})

    def log_message(self, *args):
        pass


@pytest.fixture
def twilio(settings):
    FakeTwilio.requests, FakeTwilio.answers = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTwilio)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_BACKEND = {
        "BACKEND": "notifications.sms.twilio.TwilioBackend",
        "OPTIONS": {
            "account_sid": ACCOUNT_SID,
            "auth_token": AUTH_TOKEN,
            "from_number": "+3197010000000",
            "timeout": 5,
            "api_url": f"http://127.0.0.1:{server.server_port}",
        },
    }
    yield FakeTwilio
    server.shutdown()
    server.server_close()
