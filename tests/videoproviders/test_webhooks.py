"""Whereby webhooks: signed events are recorded on the consult once; forged and stale ones are refused."""

import hashlib
import hmac
import json
import time
import uuid

import pytest
from django.urls import reverse

from videoproviders.models import RoomEvent, VideoRoom

from .conftest import WEBHOOK_SECRET


@pytest.fixture
def meeting(whereby_agent, book):
    appointment = book()
    return VideoRoom.objects.get(appointment=appointment)


def _event(room: VideoRoom, type_: str = "room.client.joined", event_id: str | None = None, **data) -> dict:
    return {
        "id": event_id or uuid.uuid4().hex,
        "apiVersion": "1.0",
        "createdAt": "2026-11-23T09:02:03.000Z",
        "type": type_,
        "data": {
            "meetingId": room.provider_room_id,
            "roomName": "/consult-x",
            "subdomain": "fake-subdomain",
            "roleName": "visitor",
            "displayName": "Chris Client",
            "numClients": 2,
            **data,
        },
    }


def _post(client, account, body: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return client.post(
        reverse("videoproviders:whereby-webhook", args=[account.public_id]),
        data=body,
        content_type="application/json",
        headers={"Whereby-Signature": f"t={timestamp},v1={signature}"},
    )


def test_a_signed_event_is_recorded_on_the_consult(client, whereby_account, meeting, assistant_client):
    response = _post(client, whereby_account, json.dumps(_event(meeting)).encode())
    assert response.status_code == 204
    (event,) = RoomEvent.objects.all()
    assert (event.room, event.type, event.role, event.display_name) == (
        meeting,
        "room.client.joined",
        "visitor",
        "Chris Client",
    )
    assert event.occurred_at.isoformat() == "2026-11-23T09:02:03+00:00"
    page = assistant_client.get(reverse("scheduling:appointment-detail", args=[meeting.appointment.public_id]))
    assert "entered the room · Chris Client" in page.content.decode()


def test_the_raw_body_is_what_is_signed_not_a_reserialisation(client, whereby_account, meeting):
    body = json.dumps(_event(meeting), indent=3).encode()  # spacing that json.dumps() would not reproduce
    assert _post(client, whereby_account, body).status_code == 204
    assert RoomEvent.objects.count() == 1


def test_a_forged_signature_is_refused(client, whereby_account, meeting):
    body = json.dumps(_event(meeting)).encode()
    assert _post(client, whereby_account, body, secret="guessed").status_code == 400
    tampered = body.replace(b"Chris Client", b"Mallory")
    timestamp = int(time.time())
    signature = hmac.new(WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    response = client.post(
        reverse("videoproviders:whereby-webhook", args=[whereby_account.public_id]),
        data=tampered,
        content_type="application/json",
        headers={"Whereby-Signature": f"t={timestamp},v1={signature}"},
    )
    assert response.status_code == 400
    unsigned = client.post(
        reverse("videoproviders:whereby-webhook", args=[whereby_account.public_id]),
        data=body,
        content_type="application/json",
    )
    assert unsigned.status_code == 400
    assert RoomEvent.objects.count() == 0


def test_a_stale_event_is_refused(client, whereby_account, meeting, settings):
    body = json.dumps(_event(meeting)).encode()
    stale = int(time.time()) - settings.WHEREBY_WEBHOOK_TOLERANCE_SECONDS - 5
    assert _post(client, whereby_account, body, timestamp=stale).status_code == 400
    assert RoomEvent.objects.count() == 0


def test_a_duplicate_event_is_recorded_once(client, whereby_account, meeting):
    body = json.dumps(_event(meeting, event_id="evt-1")).encode()
    assert _post(client, whereby_account, body).status_code == 204
    assert _post(client, whereby_account, body).status_code == 204
    assert RoomEvent.objects.count() == 1


def test_events_keep_the_providers_order_not_the_arrival(client, whereby_account, meeting):
    left = _event(meeting, "room.client.left")
    left["createdAt"] = "2026-11-23T09:30:00.000Z"
    joined = _event(meeting, "room.client.joined")
    for event in (left, joined):
        _post(client, whereby_account, json.dumps(event).encode())
    assert [e.type for e in meeting.events.all()] == ["room.client.joined", "room.client.left"]


def test_an_event_of_another_accounts_meeting_is_acknowledged_and_dropped(
    client, whereby_account, meeting, organisation
):
    body = json.dumps(_event(meeting, meetingId="no-such-meeting")).encode()
    assert _post(client, whereby_account, body).status_code == 204
    assert RoomEvent.objects.count() == 0


def test_an_unknown_account_is_404(client, meeting):
    response = client.post(
        reverse("videoproviders:whereby-webhook", args=[uuid.uuid4()]), data=b"{}", content_type="application/json"
    )
    assert response.status_code == 404
