"""The Whereby provider against a local fake of Whereby's API that checks each request against its spec."""

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from videoproviders.base import Account, Room, RoomRequest, VideoProviderError
from videoproviders.whereby import WherebyProvider


def _request(participants: int = 1, expires_in: timedelta = timedelta(hours=2)) -> RoomRequest:
    start = timezone.now() + timedelta(hours=1)
    return RoomRequest(
        reference="3f1c0a52-0000-4000-8000-000000000000",
        start=start,
        end=start + timedelta(minutes=30),
        expires_at=timezone.now() + expires_in,
        participant_count=participants,
        host_name="Dr. Alex Agent",
    )


@pytest.fixture
def provider(whereby):
    provider = WherebyProvider(api_url=whereby.url, timeout=0.5)
    yield provider
    provider.close()


@pytest.fixture
def account(whereby):
    return Account(provider="whereby", secret=whereby.api_key)


def test_create_makes_a_locked_uuid_meeting_until_the_link_expiry(provider, account, whereby):
    request = _request()
    room = provider.create_room(request=request, account=account)

    (call,) = whereby.received
    assert (call.method, call.path) == ("POST", "/v1/meetings")
    assert call.headers["authorization"] == f"Bearer {whereby.api_key}"
    assert call.body["isLocked"] is True
    assert call.body["roomNamePattern"] == "uuid"
    assert call.body["fields"] == ["hostRoomUrl"]
    assert call.body["roomMode"] == "normal"
    assert call.body["endDate"].endswith("Z")
    assert datetime.fromisoformat(call.body["endDate"].replace("Z", "+00:00")) == request.expires_at
    # The prefix shows in every room URL: it names no consult and no person.
    assert call.body["roomNamePrefix"] == "consult"
    meeting = whereby.meetings[room.provider_room_id]
    assert room.participant_url == meeting["roomUrl"]
    assert room.host_url == meeting["hostRoomUrl"] != room.participant_url
    assert room.expires_at == request.expires_at


def test_more_than_three_clients_get_a_group_room(provider, account, whereby):
    provider.create_room(request=_request(participants=4), account=account)
    assert whereby.received[0].body["roomMode"] == "group"


def test_the_participant_url_carries_name_and_language_but_never_the_host_key(provider, account, whereby):
    room = provider.create_room(request=_request(), account=account)
    url = provider.participant_url(room=room, account=account, display_name="Chris <Client>; Jr!", language="nl")
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(room.participant_url + "?")
    assert query == {"displayName": ["Chris Client Jr"], "lang": ["nl"]}
    assert "roomKey" not in url


def test_delete_is_idempotent(provider, account, whereby):
    room = provider.create_room(request=_request(), account=account)
    provider.delete_room(provider_room_id=room.provider_room_id, account=account)
    provider.delete_room(provider_room_id=room.provider_room_id, account=account)
    assert room.provider_room_id not in whereby.meetings
    assert [c.path for c in whereby.calls("DELETE")] == [f"/v1/meetings/{room.provider_room_id}"] * 2


def test_a_wrong_api_key_is_a_permanent_failure(provider, whereby):
    with pytest.raises(VideoProviderError) as caught:
        provider.create_room(request=_request(), account=Account(provider="whereby", secret="not-the-key"))
    assert caught.value.permanent
    assert "API key" in caught.value.message
    # The key itself never ends up in a message that is stored and shown.
    assert "not-the-key" not in caught.value.message


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        ({"Retry-After": "7"}, None, 7.0),
        ({}, {"error": "Rate limit active for throttle key: organization:1", "data": {"msLeft": 38689}}, 38.689),
    ],
)
def test_429_is_temporary_and_says_when_to_try_again(provider, account, whereby, headers, body, expected):
    whereby.fail_next(429, headers=headers, body=body)
    with pytest.raises(VideoProviderError) as caught:
        provider.create_room(request=_request(), account=account)
    assert not caught.value.permanent
    assert caught.value.retry_after == pytest.approx(expected)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_temporary(provider, account, whereby, status):
    whereby.fail_next(status, body={"error": "upstream"})
    with pytest.raises(VideoProviderError) as caught:
        provider.create_room(request=_request(), account=account)
    assert not caught.value.permanent


def test_a_stalled_api_times_out_as_a_temporary_failure(provider, account, whereby):
    whereby.fail_next(201, delay=1.5)
    with pytest.raises(VideoProviderError) as caught:
        provider.create_room(request=_request(), account=account)
    assert not caught.value.permanent
    assert "in time" in caught.value.message


def test_an_unreachable_api_is_a_temporary_failure(account):
    provider = WherebyProvider(api_url="http://127.0.0.1:9/v1", timeout=0.5)
    with pytest.raises(VideoProviderError) as caught:
        provider.create_room(request=_request(), account=account)
    assert not caught.value.permanent


def test_an_unreadable_answer_is_an_error(provider, account, whereby):
    whereby.fail_next(201, body={"roomUrl": "https://x.whereby.com/r"})
    with pytest.raises(VideoProviderError, match="cannot read"):
        provider.create_room(request=_request(), account=account)


def test_an_end_date_in_the_past_is_refused_permanently(provider, account, whereby):
    with pytest.raises(VideoProviderError) as caught:
        provider.create_room(request=_request(expires_in=timedelta(minutes=-5)), account=account)
    assert caught.value.permanent


def test_delete_retries_on_server_errors(provider, account, whereby):
    room = provider.create_room(request=_request(), account=account)
    whereby.fail_next(503)
    with pytest.raises(VideoProviderError) as caught:
        provider.delete_room(provider_room_id=room.provider_room_id, account=account)
    assert not caught.value.permanent
    provider.delete_room(provider_room_id=room.provider_room_id, account=account)
    assert room.provider_room_id not in whereby.meetings


def test_the_host_url_is_kept_out_of_the_room_repr(provider, account):
    room = provider.create_room(request=_request(), account=account)
    assert "roomKey" not in repr(room)
    assert account.secret not in repr(account)
    assert isinstance(room, Room)
