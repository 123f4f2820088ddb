"""A client who replies STOP to an SMS gets no SMS from that organisation again, until START; the assistant
sees why, both when a message would go and when she books that number again."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from twilio.request_validator import RequestValidator

from notifications.models import DeliveryStatus, Notification, Reason, SmsOptOut
from notifications.services import send_notification
from tests.factories import OrganisationFactory, TeamFactory, agent_of, assistant_of

from .conftest import AUTH_TOKEN, sms_participant

PHONE = "+31612345678"


def reply(client, settings, body: str, *, sender: str = PHONE, token: str = AUTH_TOKEN):
    url = settings.SITE_URL + reverse("notifications:twilio-inbound")
    data = {"From": sender, "To": "+3197010000000", "Body": body, "MessageSid": "SM" + "7" * 32}
    signature = RequestValidator(token).compute_signature(url, data)
    return client.post(reverse("notifications:twilio-inbound"), data, headers={"X-Twilio-Signature": signature})


@pytest.fixture
def texted(twilio, settings, book):
    """A consult whose SMS participant has had our invitation."""
    settings.SITE_URL = "https://consult.example.nl"
    return book(sms_participant())


def _queued_reminder(appointment) -> Notification:
    return Notification.objects.create(
        organisation=appointment.organisation,
        appointment=appointment,
        participant=appointment.participants.get(),
        purpose="reminder",
        channel="sms",
        to=PHONE,
        dedupe_key="reminder-test",
        send_after=appointment.start,
        status=DeliveryStatus.QUEUED,
    )


def test_stop_means_no_more_sms_from_that_organisation(client, settings, texted, twilio, edit):
    response = reply(client, settings, " stop ")
    assert response.status_code == 200 and response["Content-Type"] == "text/xml"
    assert SmsOptOut.objects.filter(organisation=texted.organisation, phone=PHONE).exists()
    sent_before = len(twilio.requests)
    # A message already planned is not sent, and says why.
    row = _queued_reminder(texted)
    send_notification(notification_id=row.pk)
    row.refresh_from_db()
    assert (row.status, row.reason) == (DeliveryStatus.FAILED, Reason.OPTED_OUT)
    assert len(twilio.requests) == sent_before
    # Changing the consult asks for another channel for that participant.
    with pytest.raises(ValidationError, match="replied STOP to our SMS"):
        edit(texted, subject="Changed")


def test_the_assistant_sees_it_on_the_consult_and_cannot_book_that_number_by_sms(
    client, settings, texted, assistant_client, form_data
):
    reply(client, settings, "STOP")
    send_notification(notification_id=_queued_reminder(texted).pk)
    page = assistant_client.get(reverse("scheduling:appointment-detail", args=[texted.public_id])).content.decode()
    assert "The recipient has asked not to receive SMS from this sender (STOP)." in page
    response = assistant_client.post(
        reverse("scheduling:appointment-create"),
        form_data(participants=[{"name": "Sam Sms", "channel": "sms", "phone": "06 12345678"}], start_time="14:00"),
    )
    assert response.status_code == 200
    assert "replied STOP to our SMS" in response.context["participants"].non_form_errors()[0]


def test_start_undoes_stop(client, settings, texted):
    reply(client, settings, "Stop")
    reply(client, settings, "START")
    assert not SmsOptOut.objects.exists()


def test_other_replies_and_strangers_are_ignored(client, settings, texted):
    assert reply(client, settings, "Can we make it 3 pm? Stop by later").status_code == 200
    assert reply(client, settings, "STOP", sender="+31687654321").status_code == 200
    assert not SmsOptOut.objects.exists()


def test_a_forged_reply_is_refused(client, settings, texted):
    assert reply(client, settings, "STOP", token="not-the-token").status_code == 403
    assert not SmsOptOut.objects.exists()


def test_the_stop_counts_for_the_organisation_that_texted_only(client, settings, texted, book):
    reply(client, settings, "STOP")
    other_team = TeamFactory(organisation=OrganisationFactory())
    from scheduling.services import book_appointment

    booked = book_appointment(
        booked_by=assistant_of(other_team),
        team=other_team,
        agent=agent_of(other_team),
        start=texted.start,
        end=texted.end,
        subject="Elsewhere",
        message="Hi",
        participants=[sms_participant()],
    )
    assert booked.participants.get().phone == PHONE


def test_twilio_refusing_an_opted_out_number_is_remembered(twilio, settings, book):
    twilio.answers.append((400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400}))
    appointment = book(sms_participant())
    row = Notification.objects.get(appointment=appointment, channel="sms")
    assert (row.status, row.reason) == (DeliveryStatus.FAILED, Reason.OPTED_OUT)
    assert SmsOptOut.objects.filter(organisation=appointment.organisation, phone=PHONE).exists()
