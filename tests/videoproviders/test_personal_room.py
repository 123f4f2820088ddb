"""A personal room: the agent's own fixed URL for every consult, without any API call."""

from urllib.parse import parse_qs, urlsplit

from django.urls import reverse

from videoproviders.models import AgentVideoAccount, RoomStatus, VideoRoom
from videoproviders.services import participant_room_url

ROOM = "https://practice.whereby.com/dr-agent"


def test_the_agents_room_is_the_room_of_every_consult_and_nothing_is_called(agent, book, whereby, client):
    AgentVideoAccount.objects.create(agent=agent, provider="personal", room_url=ROOM)
    appointment = book()
    room = VideoRoom.objects.get(appointment=appointment)
    assert (room.status, room.provider, room.host_url, room.participant_url) == (
        RoomStatus.READY,
        "personal",
        ROOM,
        ROOM,
    )
    client.force_login(agent)
    assert client.post(reverse("waitingroom:start", args=[appointment.public_id]))["Location"] == ROOM
    assert whereby.received == []


def test_a_whereby_personal_room_gets_the_participants_name_and_language(agent, book):
    AgentVideoAccount.objects.create(agent=agent, provider="personal", room_url=ROOM)
    participant = book().participants.get()
    url = participant_room_url(participant=participant)
    assert url.startswith(ROOM + "?")
    assert parse_qs(urlsplit(url).query) == {"displayName": ["Chris Client"], "lang": ["en"]}


def test_other_personal_rooms_are_left_as_they_are(agent, book):
    AgentVideoAccount.objects.create(agent=agent, provider="personal", room_url="https://meet.example.nl/dr-agent")
    participant = book().participants.get()
    assert participant_room_url(participant=participant) == "https://meet.example.nl/dr-agent"
