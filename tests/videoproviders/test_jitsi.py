"""Jitsi rooms: unguessable names, and with a JWT-checking server signed tokens, moderator for the agent only."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import jwt
import pytest
from django.utils import timezone

from videoproviders.base import Account, RoomRequest
from videoproviders.jitsi import JitsiProvider

SECRET = "a-shared-app-secret-of-enough-length"


def _request(expires_in=timedelta(hours=2)) -> RoomRequest:
    start = timezone.now() + timedelta(minutes=30)
    return RoomRequest(
        reference="ref",
        start=start,
        end=start + timedelta(minutes=30),
        expires_at=(timezone.now() + expires_in).replace(microsecond=0),
        participant_count=1,
        host_name="Dr. Alex Agent",
    )


def _token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["jwt"][0]


def test_without_credentials_a_room_has_an_unguessable_name_on_the_configured_server():
    provider = JitsiProvider(server_url="https://meet.example.nl/")
    room = provider.create_room(request=_request(), account=Account(provider="jitsi"))
    other = provider.create_room(request=_request(), account=Account(provider="jitsi"))
    assert re.fullmatch(r"consult-[0-9a-f]{32}", room.provider_room_id)  # 128 random bits
    assert room.provider_room_id != other.provider_room_id
    assert room.participant_url == f"https://meet.example.nl/{room.provider_room_id}"
    assert room.host_url.startswith(room.participant_url + "#")
    assert "jwt=" not in room.host_url


def test_the_default_server_is_meet_jit_si():
    room = JitsiProvider().create_room(request=_request(), account=Account(provider="jitsi"))
    assert room.participant_url.startswith("https://meet.jit.si/consult-")


def test_the_participant_url_fills_in_name_and_language_in_the_fragment():
    provider = JitsiProvider()
    room = provider.create_room(request=_request(), account=Account(provider="jitsi"))
    url = provider.participant_url(
        room=room, account=Account(provider="jitsi"), display_name="Chris Client", language="nl"
    )
    fragment = unquote(urlsplit(url).fragment)
    assert 'userInfo.displayName="Chris Client"' in fragment
    assert 'config.defaultLanguage="nl"' in fragment


def test_with_an_app_secret_only_the_agent_token_is_a_moderator():
    provider = JitsiProvider(server_url="https://meet.example.nl")
    account = Account(provider="jitsi", account_id="videoconsult", secret=SECRET)
    request = _request()
    room = provider.create_room(request=request, account=account)
    host = jwt.decode(_token(room.host_url), SECRET, algorithms=["HS256"], audience="jitsi")
    assert host["iss"] == "videoconsult"
    assert host["sub"] == "meet.example.nl"
    assert host["room"] == room.provider_room_id
    assert host["exp"] == int(request.expires_at.timestamp())
    assert host["moderator"] is True
    assert host["context"]["user"] == {"name": "Dr. Alex Agent", "moderator": True, "affiliation": "owner"}

    url = provider.participant_url(room=room, account=account, display_name="Chris Client", language="en")
    guest = jwt.decode(_token(url), SECRET, algorithms=["HS256"], audience="jitsi")
    assert guest["room"] == room.provider_room_id
    assert guest["moderator"] is False
    assert guest["context"]["user"]["name"] == "Chris Client"
    assert guest["context"]["user"]["affiliation"] == "member"
    assert _token(url) != _token(room.host_url)


def test_a_token_is_signed_with_the_app_secret_and_expires_with_the_links():
    provider = JitsiProvider()
    account = Account(provider="jitsi", account_id="videoconsult", secret=SECRET)
    room = provider.create_room(request=_request(expires_in=timedelta(seconds=-1)), account=account)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(_token(room.host_url), "another-secret-of-enough-length!!", algorithms=["HS256"], audience="jitsi")
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(_token(room.host_url), SECRET, algorithms=["HS256"], audience="jitsi")


def test_an_app_id_without_a_secret_is_a_problem_the_agent_is_told_about():
    provider = JitsiProvider()
    assert provider.account_problem(Account(provider="jitsi", account_id="videoconsult")) is not None
    assert provider.account_problem(Account(provider="jitsi")) is None
