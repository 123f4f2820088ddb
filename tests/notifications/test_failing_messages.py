"""Whatever breaks while a message is put together or sent ends on its row: tried again a bounded number of
times, then *failed* with a reason in words, among the messages not delivered. Never "sending" forever."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation
from notifications.models import DeliveryStatus, Notification, Reason
from notifications.services import MAX_ATTEMPTS, sweep
from notifications.sms import locmem
from tests.factories import admin_of

from .conftest import email_participant, sms_participant

INJECTION = "Praktijk\r\nBcc: harvest@example.net"


def _client_row(appointment) -> Notification:
    return Notification.objects.get(appointment=appointment, participant__isnull=False)


def _failed_list(client) -> str:
    return client.get(reverse("notifications:failed-list")).content.decode()


def test_a_sender_name_with_a_line_break_fails_its_emails_with_a_reason(
    book, organisation, assistant_client, settings, django_capture_on_commit_callbacks
):
    # Saved before the admin form checked it (or by hand in the database).
    Organisation.objects.filter(pk=organisation.pk).update(sender_name=INJECTION)
    appointment = book(email_participant())
    row = _client_row(appointment)
    assert (row.status, row.reason) == (DeliveryStatus.FAILED, Reason.CONFIGURATION)
    assert "header" in row.last_error
    assert mail.outbox == []
    # The sweep leaves it alone: nothing is sent again by itself.
    later = timezone.now() + timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        sweep(now=later)
    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED and mail.outbox == []
    page = _failed_list(assistant_client)
    assert "Chris Client" in page
    assert "The sending service is not set up correctly; ask the administrator." in page


def test_an_unexpected_error_is_recorded_and_tried_a_bounded_number_of_times(
    book, assistant_client, sms_outbox, django_capture_on_commit_callbacks
):
    locmem.failures.extend(RuntimeError(f"backend bug {n}") for n in range(MAX_ATTEMPTS))
    appointment = book(sms_participant())
    row = _client_row(appointment)
    for attempt in range(1, MAX_ATTEMPTS):
        row.refresh_from_db()
        assert (row.status, row.attempts, row.reason) == (DeliveryStatus.SCHEDULED, attempt, Reason.INTERNAL)
        assert row.last_error == f"RuntimeError: backend bug {attempt - 1}"
        with django_capture_on_commit_callbacks(execute=True):
            sweep(now=row.send_after)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.reason) == (DeliveryStatus.FAILED, MAX_ATTEMPTS, Reason.INTERNAL)
    assert sms_outbox == []
    assert "The message could not be prepared because of an error on our side" in _failed_list(assistant_client)


def test_an_email_whose_worker_dies_every_time_is_given_up(book, settings, assistant_client):
    appointment = book(email_participant(), send=False)
    row = _client_row(appointment)
    lease = timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS + 1)
    now = timezone.now()
    # Each attempt claimed the row and took its worker down before the row could be updated.
    for attempt in range(1, MAX_ATTEMPTS + 1):
        Notification.objects.filter(pk=row.pk).update(
            status=DeliveryStatus.SENDING, attempts=attempt, claimed_at=now - lease
        )
        sweep(now=now)
        row.refresh_from_db()
        if attempt < MAX_ATTEMPTS:
            assert row.status == DeliveryStatus.QUEUED
    assert (row.status, row.reason) == (DeliveryStatus.FAILED, Reason.GAVE_UP)
    assert "Sending broke off every time it was tried" in _failed_list(assistant_client)


@pytest.mark.parametrize("field", ["sender_name", "name"])
def test_the_admin_refuses_a_header_field_with_a_line_break(client, organisation, field):
    client.force_login(admin_of(organisation))
    url = reverse("admin:accounts_organisation_change", args=[organisation.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "logo"}
    data[field] = INJECTION
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Use one line, without line breaks" in response.content.decode()
    organisation.refresh_from_db()
    assert getattr(organisation, field) != INJECTION
