"""The host URL makes whoever opens it the host: it must never reach a participant, by any channel."""

from django.core import mail
from django.urls import reverse

from notifications.models import Notification
from notifications.sms import locmem as sms
from scheduling.services import cancel_appointment
from tests.factories import admin_of, email_participant, link_participant, sms_participant
from videoproviders.models import VideoRoom


def _secret_parts(room: VideoRoom) -> list[str]:
    # The whole URL, and its key on its own in case something re-encodes the URL.
    return [room.host_url, room.host_url.split("roomKey=")[1]]


def test_no_host_url_in_any_message_or_page_a_participant_gets(
    whereby_agent, whereby, book, edit, tomorrow_at, assistant, client, django_capture_on_commit_callbacks
):
    appointment = book(email_participant(), sms_participant(), link_participant())
    secrets = _secret_parts(VideoRoom.objects.get(appointment=appointment))
    edit(appointment, start=tomorrow_at(14), end=tomorrow_at(14, 30))  # a new room, a second host URL
    secrets += _secret_parts(VideoRoom.objects.filter(appointment=appointment).latest("pk"))

    pages = [
        client.get(reverse("waitingroom:join", args=[p.token])).content.decode() for p in appointment.participants.all()
    ]
    with django_capture_on_commit_callbacks(execute=True):
        cancel_appointment(appointment=appointment, cancelled_by=assistant)

    participant_emails = [m for m in mail.outbox if whereby_agent.email not in m.to]
    assert participant_emails and sms.outbox
    texts = [m.message().as_string() for m in participant_emails] + [s.body for s in sms.outbox] + pages
    texts += [n.to + n.last_error for n in Notification.objects.all()]
    for text in texts:
        for secret in secrets:
            assert secret not in text


def test_no_host_url_on_the_pages_of_the_assistant_or_in_the_admin(
    whereby_agent, whereby, book, assistant_client, client, organisation
):
    appointment = book()
    room = VideoRoom.objects.get(appointment=appointment)
    detail = assistant_client.get(reverse("scheduling:appointment-detail", args=[appointment.public_id]))
    client.force_login(admin_of(organisation))
    admin_page = client.get(reverse("admin:videoproviders_videoroom_change", args=[room.pk]))
    assert admin_page.status_code == 200
    for html in (detail.content.decode(), admin_page.content.decode()):
        for secret in _secret_parts(room):
            assert secret not in html
