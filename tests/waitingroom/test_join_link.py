from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling.services import cancel_appointment
from tests.factories import AppointmentFactory, ParticipantFactory


def join_url(participant) -> str:
    return reverse("waitingroom:join", args=[participant.token])


@pytest.fixture
def participant(team, agent):
    start = timezone.now() + timedelta(minutes=10)
    appointment = AppointmentFactory(team=team, agent=agent, start=start, end=start + timedelta(minutes=15))
    return ParticipantFactory(appointment=appointment, name="Jan Peters", language="en")


def test_valid_link_shows_consult_with_agent_and_time(client, participant):
    response = client.get(join_url(participant))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Welcome, Jan Peters" in content
    assert participant.appointment.agent.full_name in content
    assert response["Cache-Control"] == "no-store"


def test_link_is_shown_in_the_participants_language(client, participant):
    participant.language = "nl"
    participant.save()
    response = client.get(join_url(participant), headers={"accept-language": "en"})
    assert "Welkom, Jan Peters" in response.content.decode()


def test_link_works_until_an_hour_after_a_short_consults_start(client, participant, settings):
    appointment = participant.appointment
    # 15 minutes long: the link works until an hour after the start, so 30 minutes after the end still works.
    appointment.start = timezone.now() - timedelta(minutes=45)
    appointment.end = appointment.start + timedelta(minutes=15)
    appointment.save()
    assert client.get(join_url(participant)).status_code == 200
    appointment.start = timezone.now() - timedelta(minutes=61)
    appointment.end = appointment.start + timedelta(minutes=15)
    appointment.save()
    response = client.get(join_url(participant))
    assert response.status_code == 410
    assert b"This link has expired" in response.content


def test_cancelled_consult_link_stops_working(client, participant):
    appointment = participant.appointment
    cancel_appointment(appointment=appointment, cancelled_by=appointment.booked_by)
    response = client.get(join_url(participant))
    assert response.status_code == 410
    assert b"This consult has been cancelled" in response.content


def test_unknown_token_answers_friendly_404(client, db):
    response = client.get(reverse("waitingroom:join", args=["not-a-real-token"]))
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_removed_participants_link_stops_working(client, participant):
    participant.removed_at = timezone.now()
    participant.save()
    assert client.get(join_url(participant)).status_code == 404


def test_join_url_carries_the_unguessable_token(participant, settings):
    assert participant.join_url == f"{settings.SITE_URL}/join/{participant.token}/"
    assert len(participant.token) >= 22  # 128 random bits, URL-safe base64


def test_the_short_link_of_an_sms_leads_to_the_join_page(client, participant, settings):
    assert participant.short_join_url == f"{settings.SITE_URL}/j/{participant.token}"
    response = client.get(f"/j/{participant.token}", follow=True)
    assert response.redirect_chain == [(join_url(participant), 302)]
    assert "Welcome, Jan Peters" in response.content.decode()


def test_links_already_sent_keep_working_whatever_their_token_length(client, participant):
    # Tokens of earlier bookings are 43 characters (256 bits); they open the page by either path.
    participant.token = "Fr3Qxz2zQ5uGG1xl2BAfqgBaiVRo_CknWpj1Eg4v4o8"
    participant.save()
    assert client.get(f"/join/{participant.token}/").status_code == 200
    assert client.get(f"/j/{participant.token}", follow=True).status_code == 200


def test_an_unknown_short_link_ends_on_the_friendly_404(client, db):
    response = client.get("/j/not-a-real-token", follow=True)
    assert response.status_code == 404 and b"Page not found" in response.content
