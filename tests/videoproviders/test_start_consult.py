"""Online consult: the agent presses it and lands in the room as host; failures are explained, never a 500."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling.models import Appointment
from scheduling.services import cancel_appointment
from tests.factories import TeamFactory, admin_of, agent_of, assistant_of
from videoproviders import locmem
from videoproviders.base import VideoProviderError


@pytest.fixture
def soon(book):
    """A consult starting in a few minutes, today, with its room made by the task."""
    start = timezone.now() + timedelta(minutes=2)
    return book(start=start, end=start + timedelta(minutes=30))


def _start(client, appointment, **kwargs):
    return client.post(reverse("waitingroom:start", args=[appointment.public_id]), **kwargs)


def test_the_agent_lands_in_the_room_as_host_and_the_consult_is_active(client, agent, soon):
    client.force_login(agent)
    response = _start(client, soon)
    assert response.status_code == 302
    assert response["Location"] == locmem.rooms[0].host_url
    soon.refresh_from_db()
    assert soon.is_active and soon.started_at is not None


def test_the_agent_sees_online_consult_on_the_overview_agenda_and_consult(client, agent, soon):
    client.force_login(agent)
    action = reverse("waitingroom:start", args=[soon.public_id])
    for page in (reverse("scheduling:dashboard"), reverse("scheduling:agenda"), soon_detail(soon)):
        html = client.get(page).content.decode()
        assert f'action="{action}"' in html, page
        assert "Online consult" in html


def soon_detail(appointment):
    return reverse("scheduling:appointment-detail", args=[appointment.public_id])


def test_an_assistant_gets_no_button_and_no_host_url(assistant_client, soon):
    html = assistant_client.get(soon_detail(soon)).content.decode()
    assert reverse("waitingroom:start", args=[soon.public_id]) not in html
    assert _start(assistant_client, soon).status_code == 403
    assert locmem.rooms[0].host_url not in html


def test_an_admin_or_another_agent_cannot_start_it(client, soon, team, organisation):
    for user in (admin_of(organisation), agent_of(team, email="other.agent@example.com")):
        client.force_login(user)
        assert _start(client, soon).status_code in (403, 404)
    soon.refresh_from_db()
    assert soon.started_at is None


def test_someone_of_another_organisation_gets_404(client, soon):
    client.force_login(assistant_of(TeamFactory()))
    assert _start(client, soon).status_code == 404


def test_starting_needs_a_post(client, agent, soon):
    client.force_login(agent)
    assert client.get(reverse("waitingroom:start", args=[soon.public_id])).status_code == 405


def test_a_provider_failure_explains_and_offers_a_retry(client, agent, book):
    locmem.failures.extend([VideoProviderError("The service is down."), VideoProviderError("The service is down.")])
    start = timezone.now() + timedelta(minutes=2)
    appointment = book(start=start, end=start + timedelta(minutes=30))  # the task's attempt fails
    client.force_login(agent)
    response = _start(client, appointment, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "The video room could not be opened: The service is down. Press Online consult to try again." in page
    assert f'action="{reverse("waitingroom:start", args=[appointment.public_id])}"' in page
    assert Appointment.objects.get(pk=appointment.pk).started_at is None
    retry = _start(client, appointment)
    assert retry["Location"] == locmem.rooms[-1].host_url


def test_without_a_video_account_the_agent_is_told_why_and_who_can_fix_it(client, agent, soon, organisation, settings):
    admin_of(organisation, full_name="Ada Admin", email="ada@example.org")
    settings.VIDEO_DEFAULT_PROVIDER = ""
    client.force_login(agent)
    overview = client.get(reverse("scheduling:dashboard")).content.decode()
    assert "Online consults are not possible for you yet: no video account is linked to you." in overview
    assert "Ada Admin (ada@example.org) can set this up in the admin." in overview
    response = _start(client, soon, follow=True)
    assert "Ada Admin (ada@example.org) can fix this in the admin." in response.content.decode()


def test_a_cancelled_consult_cannot_start(client, agent, soon, assistant):
    cancel_appointment(appointment=soon, cancelled_by=assistant)
    client.force_login(agent)
    response = _start(client, soon, follow=True)
    assert "This consult has been cancelled." in response.content.decode()
    soon.refresh_from_db()
    assert soon.started_at is None


def test_a_whereby_room_opens_inside_the_clients_page_with_their_name(client, whereby_agent, whereby, book):
    start = timezone.now() + timedelta(minutes=2)
    appointment = book(start=start, end=start + timedelta(minutes=30))
    participant = appointment.participants.get()
    client.force_login(whereby_agent)
    host_url = _start(client, appointment)["Location"]
    state = client.post(reverse("waitingroom:presence", args=[participant.token])).json()
    assert state["state"] == "room" and state["embed"] is True
    assert state["room_url"].startswith(host_url.split("?")[0] + "?displayName=Chris+Client")
    assert "roomKey" not in state["room_url"]


def test_a_jitsi_room_is_entered_by_leaving_the_page(client, agent, book, settings):
    settings.VIDEO_DEFAULT_PROVIDER = "jitsi"
    start = timezone.now() + timedelta(minutes=2)
    appointment = book(start=start, end=start + timedelta(minutes=30))
    client.force_login(agent)
    _start(client, appointment)
    state = client.post(reverse("waitingroom:presence", args=[appointment.participants.get().token])).json()
    assert state["embed"] is False
    assert state["room_url"].startswith("https://meet.jit.si/consult-")
