"""Email through a transactional service (django-anymail): sending against a local fake of the service's API on
127.0.0.1, and its delivery reports posted to our webhook exactly as Postmark (basic auth) and Mailgun (basic
auth and an HMAC-SHA256 signature) post them."""

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from notifications.models import DeliveryStatus, EmailComplaint, Notification, Reason
from tests.factories import ParticipantInput

from .conftest import answer_json, email_participant

WEBHOOK_SECRET = "reports:webhook-secret"
SIGNING_KEY = "mailgun-signing-key"


class FakeService(BaseHTTPRequestHandler):
    """Answers Postmark's POST /email and Mailgun's POST /v3/<domain>/messages as they do; remembers requests.
    `answers` holds other answers to Postmark, by recipient."""

    requests: list[dict] = []
    answers: dict[str, tuple[int, dict]] = {}

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        to = json.loads(body)["To"] if self.path == "/email" else ""
        if to in self.answers:
            status, answer = self.answers[to]
        elif to:
            status, answer = 200, {"To": to, "ErrorCode": 0, "Message": "OK", "MessageID": str(uuid.uuid4())}
        else:
            status, answer = 200, {"id": f"<{uuid.uuid4().hex}@mg.example.nl>", "message": "Queued. Thank you."}
        answer_json(self, status, answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_service() -> Iterator[tuple[type[FakeService], str]]:
    FakeService.requests, FakeService.answers = [], {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeService)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield FakeService, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _use(settings, service: str, options: dict) -> None:
    settings.EMAIL_SERVICE = service
    settings.EMAIL_BACKEND = settings.EMAIL_SERVICES[service]["BACKEND"]
    settings.ANYMAIL = {**options, "WEBHOOK_SECRET": WEBHOOK_SECRET, "IGNORE_RECIPIENT_STATUS": False}


@pytest.fixture
def postmark(settings, fake_service):
    service, url = fake_service
    _use(settings, "postmark", {"POSTMARK_SERVER_TOKEN": "server-token", "POSTMARK_API_URL": url + "/"})
    return service


@pytest.fixture
def mailgun(settings, fake_service):
    service, url = fake_service
    _use(
        settings,
        "mailgun",
        {
            "MAILGUN_API_KEY": "api-key",
            "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY,
            "MAILGUN_SENDER_DOMAIN": "mg.example.nl",
            "MAILGUN_API_URL": url + "/v3",
        },
    )
    return service


def _invitation(book) -> Notification:
    book(email_participant())
    return Notification.objects.get(participant__isnull=False, channel="email")


def _basic_auth(secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(secret.encode()).decode()}


def _postmark_report(client, record: dict, *, secret: str = WEBHOOK_SECRET):
    url = reverse("notifications:email-tracking", args=["postmark"])
    return client.post(url, json.dumps(record), content_type="application/json", headers=_basic_auth(secret))


def _mailgun_report(client, event_data: dict, *, key: str = SIGNING_KEY):
    """A new-style Mailgun webhook: HMAC-SHA256 of timestamp + token with the webhook signing key."""
    timestamp, token = str(int(time.time())), uuid.uuid4().hex
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    body = {"signature": {"timestamp": timestamp, "token": token, "signature": signature}, "event-data": event_data}
    url = reverse("notifications:email-tracking", args=["mailgun"])
    return client.post(url, json.dumps(body), content_type="application/json", headers=_basic_auth())


def _mailgun_event(row: Notification, event: str, **fields) -> dict:
    message_id = row.provider_message_id.strip("<>")  # Mailgun's reports name it without the brackets
    return {
        "event": event,
        "timestamp": time.time(),
        "id": uuid.uuid4().hex,
        "recipient": row.to,
        "message": {"headers": {"message-id": message_id}},
        **fields,
    }


def _postmark_delivery(row: Notification) -> dict:
    return {
        "RecordType": "Delivery",
        "MessageID": row.provider_message_id,
        "Recipient": row.to,
        "DeliveredAt": "2026-12-02T10:00:00Z",
        "Details": "smtp;250 2.0.0 OK",
        "Tag": "",
    }


def _postmark_bounce(row: Notification, kind: str = "HardBounce", record_type: str = "Bounce") -> dict:
    return {
        "RecordType": record_type,
        "ID": 4323372036,
        "Type": kind,
        "MessageID": row.provider_message_id,
        "Email": row.to,
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "BouncedAt": "2026-12-02T10:00:00Z",
        "Tag": "",
    }


# --- sending ------------------------------------------------------------------------------------------


def test_postmark_send_stores_the_services_message_id_on_the_row(postmark, book):
    row = _invitation(book)
    request = next(r for r in postmark.requests if json.loads(r["body"])["To"] == "chris@example.org")
    assert request["path"] == "/email" and request["headers"]["X-Postmark-Server-Token"] == "server-token"
    assert row.status == DeliveryStatus.SENT
    assert str(uuid.UUID(row.provider_message_id)) == row.provider_message_id  # Postmark's id, not our header


def test_mailgun_send_stores_the_services_message_id_on_the_row(mailgun, book):
    row = _invitation(book)
    assert {r["path"] for r in mailgun.requests} == {"/v3/mg.example.nl/messages"}
    assert row.status == DeliveryStatus.SENT
    assert row.provider_message_id.startswith("<") and row.provider_message_id.endswith("@mg.example.nl>")


def test_an_address_the_service_will_not_mail_fails_at_once(postmark, book):
    inactive = (
        "You tried to send to recipient(s) that have been marked as inactive. Found inactive addresses: "
        "chris@example.org. Inactive recipients are ones that have generated a hard bounce or a spam complaint."
    )
    postmark.answers["chris@example.org"] = (422, {"ErrorCode": 406, "Message": inactive})
    row = _invitation(book)
    assert (row.status, row.reason, row.attempts) == (DeliveryStatus.FAILED, Reason.SUPPRESSED, 1)


def test_the_service_being_down_is_tried_again_later(postmark, book):
    postmark.answers["chris@example.org"] = (503, {"ErrorCode": 100, "Message": "Maintenance"})
    row = _invitation(book)
    assert (row.status, row.reason) == (DeliveryStatus.SCHEDULED, Reason.TEMPORARY)
    assert "503" in row.last_error


# --- Postmark's reports: basic auth -----------------------------------------------------------------------


def test_postmark_delivery_report_marks_the_email_delivered(client, postmark, book):
    row = _invitation(book)
    assert _postmark_report(client, _postmark_delivery(row)).status_code == 200
    row.refresh_from_db()
    assert row.status == DeliveryStatus.DELIVERED and row.delivered_at is not None


@pytest.mark.parametrize("secret", ["reports:wrong", "someone:else"])
def test_postmark_report_without_the_webhook_secret_is_refused(client, postmark, book, secret):
    row = _invitation(book)
    assert _postmark_report(client, _postmark_bounce(row), secret=secret).status_code == 400
    url = reverse("notifications:email-tracking", args=["postmark"])
    unsigned = client.post(url, json.dumps(_postmark_bounce(row)), content_type="application/json")
    assert unsigned.status_code == 400
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT


@pytest.mark.parametrize("order", ["bounce first", "delivery report first"])
def test_a_hard_bounce_fails_the_email_whichever_report_arrives_first(client, postmark, book, order):
    """A late "delivered" must not undo the bounce; a bounce after "delivered" (accepted, then returned) wins."""
    row = _invitation(book)
    reports = [_postmark_bounce(row), _postmark_delivery(row)]
    for report in reports if order == "bounce first" else reversed(reports):
        assert _postmark_report(client, report).status_code == 200
    row.refresh_from_db()
    assert (row.status, row.reason) == (DeliveryStatus.FAILED, Reason.BOUNCED)
    assert row.last_error.startswith("Postmark bounced: ") and "550 5.1.1" in row.last_error


def test_a_soft_bounce_that_postmark_still_retries_changes_nothing(client, postmark, book):
    row = _invitation(book)
    _postmark_report(client, _postmark_bounce(row, kind="Transient"))
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT


def test_an_unknown_message_id_is_answered_and_ignored(client, postmark, book):
    row = _invitation(book)
    before = list(Notification.objects.values_list("pk", "status", "reason", "updated_at"))
    stranger = {**_postmark_bounce(row), "MessageID": str(uuid.uuid4())}
    assert _postmark_report(client, stranger).status_code == 200
    assert list(Notification.objects.values_list("pk", "status", "reason", "updated_at")) == before


def test_a_complaint_fails_the_email_and_keeps_the_address_from_later_mail_until_it_is_corrected(
    assistant_client, postmark, book, edit, django_capture_on_commit_callbacks
):
    row = _invitation(book)
    _postmark_report(assistant_client, _postmark_bounce(row, kind="SpamComplaint", record_type="SpamComplaint"))
    row.refresh_from_db()
    assert (row.status, row.reason) == (DeliveryStatus.FAILED, Reason.COMPLAINED)
    assert EmailComplaint.objects.filter(organisation=row.organisation, email="chris@example.org").exists()

    def send_again():
        with django_capture_on_commit_callbacks(execute=True):
            assistant_client.post(reverse("notifications:resend", args=[row.public_id]))
        row.refresh_from_db()

    # Send again to the same address: refused here, the service is never asked.
    requests_before = len(postmark.requests)
    send_again()
    assert (row.status, row.reason) == (DeliveryStatus.FAILED, Reason.COMPLAINED)
    assert len(postmark.requests) == requests_before

    # Booking or changing the consult with that address by email is refused, saying why.
    with pytest.raises(ValidationError, match="marked our email as spam"):
        edit(row.appointment, subject="Changed")
    with pytest.raises(ValidationError, match="marked our email as spam"):
        book(email_participant(address="Chris@Example.org"))

    # Corrected on the consult (as for a failed SMS number), then sent again: the new address gets it.
    participant = row.participant
    corrected = ParticipantInput(
        name=participant.name,
        channel="email",
        language=participant.language,
        email="chris.new@example.org",
        participant_id=participant.pk,
    )
    edit(row.appointment, participants=[corrected])
    send_again()
    assert (row.status, row.to) == (DeliveryStatus.SENT, "chris.new@example.org")
    assert json.loads(postmark.requests[-1]["body"])["To"] == "chris.new@example.org"


# --- Mailgun's reports: HMAC signature ------------------------------------------------------------------


def test_mailgun_signed_delivery_report_marks_the_email_delivered(client, mailgun, book):
    row = _invitation(book)
    assert _mailgun_report(client, _mailgun_event(row, "delivered")).status_code == 200
    row.refresh_from_db()
    assert row.status == DeliveryStatus.DELIVERED


def test_mailgun_permanent_failure_fails_the_email_with_its_reason(client, mailgun, book):
    row = _invitation(book)
    event = _mailgun_event(
        row,
        "failed",
        severity="permanent",
        reason="bounce",
        **{"delivery-status": {"code": 550, "message": "5.1.1 mailbox does not exist", "description": ""}},
    )
    _mailgun_report(client, event)
    _mailgun_report(client, _mailgun_event(row, "delivered"))
    row.refresh_from_db()
    assert (row.status, row.reason) == (DeliveryStatus.FAILED, Reason.BOUNCED)
    assert "mailbox does not exist" in row.last_error


def test_mailgun_report_with_a_wrong_signature_is_refused(client, mailgun, book):
    row = _invitation(book)
    assert _mailgun_report(client, _mailgun_event(row, "complained"), key="not-the-key").status_code == 400
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT and not EmailComplaint.objects.exists()


# --- which service's address exists ---------------------------------------------------------------------


def test_only_the_configured_services_webhook_exists(client, settings, postmark, book):
    row = _invitation(book)
    assert _mailgun_report(client, _mailgun_event(row, "delivered")).status_code == 404
    settings.EMAIL_SERVICE = ""
    assert _postmark_report(client, _postmark_delivery(row)).status_code == 404
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT


def test_the_consult_page_shows_a_bounced_email_with_its_reason_and_send_again(assistant_client, postmark, book):
    row = _invitation(book)
    _postmark_report(assistant_client, _postmark_bounce(row))
    page = assistant_client.get(reverse("scheduling:appointment-detail", args=[row.appointment.public_id]))
    html = page.content.decode()
    assert "badge--failed" in html and "it bounced" in html
    assert reverse("notifications:resend", args=[row.public_id]) in html
