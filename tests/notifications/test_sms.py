"""SMS: the texts, the Twilio backend against a local fake Twilio, and Twilio's signed status callbacks."""

import base64
import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from twilio.request_validator import RequestValidator

from notifications.errors import DeliveryError
from notifications.models import DeliveryStatus, Notification, Reason
from notifications.sms import build_sms_backend, get_sms_backend
from notifications.texts import is_gsm7, segments

from .conftest import ACCOUNT_SID, AUTH_TOKEN, sms_participant


def test_twilio_gets_the_fields_and_basic_auth_it_expects(twilio, settings, book):
    settings.SITE_URL = "https://consult.example.nl"
    appointment = book(sms_participant())
    [request] = twilio.requests
    assert request["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request["auth"] == "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    form = request["form"]
    assert form["To"] == "+31612345678"
    assert form["From"] == "+3197010000000"
    assert form["StatusCallback"] == "https://consult.example.nl" + reverse("notifications:twilio-status")
    assert appointment.participants.get().short_join_url in form["Body"]
    assert 0 < int(form["ValidityPeriod"]) <= 36000
    row = Notification.objects.get(channel="sms")
    assert (row.status, row.provider_message_id) == (DeliveryStatus.SENT, "SM" + "1".zfill(32))


def test_a_messaging_service_replaces_the_from_number(twilio, settings):
    options = {**settings.SMS_BACKEND["OPTIONS"], "from_number": "", "messaging_service_sid": "MG" + "2" * 32}
    backend = build_sms_backend({"BACKEND": settings.SMS_BACKEND["BACKEND"], "OPTIONS": options})
    backend.send(to="+31612345678", body="Hi")
    backend.close()
    form = twilio.requests[0]["form"]
    assert form["MessagingServiceSid"] == "MG" + "2" * 32 and "From" not in form


def test_an_invalid_number_is_a_permanent_failure_with_its_reason(twilio, book):
    twilio.answers.append(
        (400, {"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400})
    )
    book(sms_participant())
    row = Notification.objects.get(channel="sms")
    assert (row.status, row.reason, row.attempts) == (DeliveryStatus.FAILED, Reason.INVALID_ADDRESS, 1)
    assert "21211" in row.last_error


def test_too_many_requests_is_tried_again(twilio, book):
    twilio.answers.append((429, {"code": 20429, "message": "Too Many Requests", "status": 429}))
    book(sms_participant())
    row = Notification.objects.get(channel="sms")
    assert (row.status, row.reason) == (DeliveryStatus.SCHEDULED, Reason.TEMPORARY)


def test_an_unreachable_twilio_is_a_temporary_error(settings):
    options = {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "from_number": "+3197010000000",
        "timeout": 1,
        "api_url": "http://127.0.0.1:9",
    }
    backend = build_sms_backend({"BACKEND": "notifications.sms.twilio.TwilioBackend", "OPTIONS": options})
    with pytest.raises(DeliveryError) as raised:
        backend.send(to="+31612345678", body="Hi")
    backend.close()
    assert raised.value.permanent is False


def test_unknown_backend_options_are_named(settings):
    with pytest.raises(ImproperlyConfigured, match="colour"):
        build_sms_backend({"BACKEND": "notifications.sms.console.ConsoleBackend", "OPTIONS": {"colour": "red"}})


@pytest.mark.parametrize("language", ["nl", "en"])
def test_texts_fit_one_gsm7_segment_in_the_participants_language(book, sms_outbox, organisation, language, settings):
    settings.SITE_URL = "https://videoconsult.praktijk.nl"
    organisation.sender_name = "Praktijk De Linde"
    organisation.save()
    book(sms_participant(language=language))
    body = sms_outbox[0].body
    assert is_gsm7(body) and segments(body) == 1, body
    assert ("Uw link" in body) if language == "nl" else ("Your link" in body)
    # Dates as each language writes them: "di 24 nov om 10:00", "Tue 24 Nov at 10:00".
    pattern = (
        r"\b[a-z]{2} \d{1,2} [a-z]{3} om 10:00"
        if language == "nl"
        else r"\b[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2} at 10:00"
    )
    assert re.search(pattern, body), body


def test_curly_quotes_and_long_names_never_switch_to_ucs2(book, sms_outbox, agent):
    agent.full_name = "Dr. Anne-Marie \u2018t Hooft\u2013van der Berg-Vermeulen"
    agent.save()
    book(sms_participant())
    assert is_gsm7(sms_outbox[0].body)


def test_segments_count_gsm7_and_ucs2():
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2
    assert segments("€" * 80) == 1 and segments("€" * 81) == 2  # extension characters take two septets
    assert segments("😀" * 35) == 1 and segments("é" + "ł" * 70) == 2


def _callback(client, settings, data: dict, *, token: str = AUTH_TOKEN, signature: str | None = None):
    url = settings.SITE_URL + reverse("notifications:twilio-status")
    if signature is None:
        signature = RequestValidator(token).compute_signature(url, data)
    return client.post(reverse("notifications:twilio-status"), data, headers={"X-Twilio-Signature": signature})


@pytest.fixture
def sent_sms(twilio, settings, book):
    settings.SITE_URL = "https://consult.example.nl"
    book(sms_participant())
    return Notification.objects.get(channel="sms")


def test_signed_delivery_report_marks_the_sms_delivered(client, settings, sent_sms):
    data = {"MessageSid": sent_sms.provider_message_id, "MessageStatus": "delivered", "AccountSid": ACCOUNT_SID}
    assert _callback(client, settings, data).status_code == 204
    sent_sms.refresh_from_db()
    assert sent_sms.status == DeliveryStatus.DELIVERED and sent_sms.delivered_at is not None


def test_undelivered_report_records_the_reason_and_a_late_sent_report_does_not_undo_it(client, settings, sent_sms):
    sid = sent_sms.provider_message_id
    _callback(client, settings, {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30006"})
    _callback(client, settings, {"MessageSid": sid, "MessageStatus": "sent"})
    sent_sms.refresh_from_db()
    assert (sent_sms.status, sent_sms.reason) == (DeliveryStatus.FAILED, Reason.NOT_MOBILE)


def test_a_forged_report_is_refused(client, settings, sent_sms):
    data = {"MessageSid": sent_sms.provider_message_id, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert _callback(client, settings, data, token="not-the-token").status_code == 403
    assert _callback(client, settings, data, signature="").status_code == 403
    sent_sms.refresh_from_db()
    assert sent_sms.status == DeliveryStatus.SENT


def test_a_report_for_an_unknown_message_is_acknowledged_and_ignored(client, settings, twilio, db):
    settings.SITE_URL = "https://consult.example.nl"
    assert get_sms_backend().__class__.__name__ == "TwilioBackend"
    assert _callback(client, settings, {"MessageSid": "SM" + "9" * 32, "MessageStatus": "delivered"}).status_code == 204
