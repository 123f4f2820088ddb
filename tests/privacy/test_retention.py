"""Clients' personal data is erased after the organisation's retention period by the nightly job, and for
one person on request in the admin; the figures (consults, times, wait times, message statuses) remain."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import Action, AuditEvent
from notifications.models import DeliveryStatus, Notification, Purpose
from privacy import services
from privacy.tasks import erase_expired_task
from scheduling.models import Appointment, Participant
from tests.factories import OrganisationFactory, ReminderRuleFactory, admin_of, email_participant, sms_participant
from videoproviders.models import RoomEvent, VideoRoom
from waitingroom.models import Presence, WaitingMessage
from waitingroom.services import record_opened, send_waiting_message


@pytest.fixture
def old_consult(book, agent, organisation):
    """A consult with an email and an SMS client that ended 100 days ago, with its traces."""
    appointment = book(email_participant(name="Chris Client"), sms_participant(name="Sam Sms"))
    participants = list(appointment.participants.all())
    record_opened(participant=participants[0])
    send_waiting_message(appointment=appointment, sender=agent, text="Chris, I am running late")
    room = VideoRoom.objects.filter(appointment=appointment).first()
    RoomEvent.objects.create(
        room=room, event_id="e1", type="room.client.joined", occurred_at=timezone.now(), display_name="Chris Client"
    )
    past = timezone.now() - timedelta(days=100)
    Appointment.objects.filter(pk=appointment.pk).update(start=past, end=past + timedelta(minutes=30))
    return appointment


def test_the_nightly_job_erases_what_is_past_the_retention_period_and_keeps_the_figures(
    old_consult, book, organisation
):
    recent = book(email_participant(name="Rita Recent", address="rita@example.org"))
    sent_before = Notification.objects.filter(appointment=old_consult, status=DeliveryStatus.SENT).count()
    assert erase_expired_task.delay().get() == {"participants": 2, "consults": 1}

    for participant in old_consult.participants.all():
        assert (participant.name, participant.email, participant.phone) == ("-", "", "")
        assert participant.erased_at is not None
    assert set(
        Notification.objects.filter(appointment=old_consult, participant__isnull=False).values_list("to", flat=True)
    ) == {""}
    assert WaitingMessage.objects.get(appointment=old_consult).text == ""
    assert RoomEvent.objects.get(event_id="e1").display_name == ""
    old_consult.refresh_from_db()
    assert old_consult.message == ""
    # The figures: the consult, its times, the presence (wait time) and the message statuses.
    assert Presence.objects.filter(participant__appointment=old_consult).exists()
    assert Notification.objects.filter(appointment=old_consult, status=DeliveryStatus.SENT).count() == sent_before
    assert old_consult.participants.count() == 2
    # A recent consult is untouched.
    assert recent.participants.get().email == "rita@example.org"
    # Recorded, without whose data it was.
    event = AuditEvent.objects.get(action=Action.DATA_RETAINED)
    assert event.organisation_id == organisation.pk
    assert "2 participants of 1 consults" in event.summary and "Chris" not in event.summary
    # Run again: nothing more to do, nothing recorded.
    assert services.erase_expired() == services.Erasure(participants=0, consults=0)
    assert AuditEvent.objects.filter(action=Action.DATA_RETAINED).count() == 1


def test_each_organisation_keeps_data_as_long_as_it_chose(old_consult, organisation):
    organisation.retention_days = 365
    organisation.save()
    assert services.erase_expired().participants == 0
    organisation.retention_days = 30
    organisation.save()
    assert services.erase_expired().participants == 2


def test_erasing_one_person_on_request(old_consult, book, organisation, assistant):
    ReminderRuleFactory(organisation=organisation, amount=1, unit="hours")
    upcoming = book(email_participant(name="Chris Client"), email_participant(name="Other", address="o@example.org"))
    admin = admin_of(organisation)
    found = services.find_person(organisation=organisation, identifier=" CHRIS@example.org ")
    assert (found.participants, found.past_consults, found.upcoming_consults) == (2, 1, 1)
    done = services.erase_person(organisation=organisation, identifier="chris@example.org", erased_by=admin)
    assert (done.participants, done.consults) == (2, 2)
    assert not Participant.objects.filter(email="chris@example.org").exists()
    erased = upcoming.participants.get(erased_at__isnull=False)
    # Taken off the upcoming consult: no more messages, the link is refused.
    assert erased.removed_at is not None
    assert not Notification.objects.filter(participant=erased, status__in=["scheduled", "queued"]).exists()
    assert (
        Notification.objects.filter(participant=erased, reason="erased").exists()
        or not Notification.objects.filter(participant=erased, purpose=Purpose.REMINDER).exists()
    )
    assert upcoming.participants.get(name="Other").email == "o@example.org"
    assert RoomEvent.objects.get(event_id="e1").display_name == ""
    event = AuditEvent.objects.get(action=Action.PERSON_ERASED)
    assert event.actor == admin and "chris" not in event.summary.lower()


def test_a_person_is_found_by_mobile_number_as_typed(old_consult, organisation):
    found = services.find_person(organisation=organisation, identifier="06 12345678")
    assert found.participants == 1
    with pytest.raises(Exception, match="Give an email address or a mobile number"):
        services.find_person(organisation=organisation, identifier="nonsense")


def test_another_organisations_clients_are_out_of_reach(old_consult):
    other = OrganisationFactory()
    assert services.find_person(organisation=other, identifier="chris@example.org").participants == 0
    services.erase_person(organisation=other, identifier="chris@example.org", erased_by=admin_of(other))
    assert old_consult.participants.filter(email="chris@example.org").exists()


def test_the_admin_page_finds_then_erases_after_confirmation(client, old_consult, organisation):
    client.force_login(admin_of(organisation))
    url = reverse("admin:privacy-erase")
    assert "Erase a person" in client.get(reverse("admin:index")).content.decode()
    page = client.post(url, {"identifier": "chris@example.org", "find": "1"}).content.decode()
    assert "Found in 1 consult participation" in page and "Yes, erase all of it" in page
    assert old_consult.participants.filter(email="chris@example.org").exists()
    response = client.post(url, {"identifier": "chris@example.org", "erase": "1"}, follow=True)
    assert "Erased: 1 participations in 1 consults" in response.content.decode()
    assert not old_consult.participants.filter(email="chris@example.org").exists()
    bad = client.post(url, {"identifier": "not a number", "find": "1"}).content.decode()
    assert "Give an email address or a mobile number" in bad


def test_only_organisation_admins_reach_the_erasure_page(client, assistant, organisation):
    client.force_login(assistant)
    assert client.get(reverse("admin:privacy-erase")).status_code == 302  # to the login: no admin access
