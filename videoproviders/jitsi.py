"""Jitsi Meet: a room per consult with an unguessable name, on meet.jit.si or a server of one's own.

Without credentials anybody with the room name may enter, so the name carries 128 random bits and only
reaches participants through their join page. With a self-hosted Jitsi that checks JWTs (the
organisation's service account holds the app id and secret), every URL carries a signed token and only
the agent's makes a moderator.
"""

import secrets
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

import jwt
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .base import Account, Room, RoomRequest, VideoProvider

LANGUAGES = {"nl", "en"}
# Tokens are accepted a little before the start, so an agent who starts early is not turned away.
TOKEN_LEEWAY = timedelta(hours=1)


class JitsiProvider(VideoProvider):
    label = gettext_lazy("Jitsi Meet (a room per consult)")
    takes_service_account = True

    def __init__(self, *, server_url: str = "https://meet.jit.si", audience: str = "jitsi") -> None:
        self.server_url = server_url.rstrip("/")
        self.audience = audience

    def account_problem(self, account: Account) -> str | None:
        if bool(account.account_id) != bool(account.secret):
            return _("the organisation's Jitsi account needs both an app id and an app secret, or neither")
        return None

    def _server(self, account: Account) -> str:
        return account.server_url.rstrip("/") or self.server_url

    def create_room(self, *, request: RoomRequest, account: Account) -> Room:
        # Jitsi folds room names to lower case, so hex keeps all 128 bits.
        name = f"consult-{secrets.token_hex(16)}"
        base = f"{self._server(account)}/{name}"
        host_url = self._url(
            base, account, name=name, display_name=request.host_name, moderator=True, expires_at=request.expires_at
        )
        return Room(provider_room_id=name, host_url=host_url, participant_url=base, expires_at=request.expires_at)

    def participant_url(self, *, room: Room, account: Account, display_name: str, language: str) -> str:
        return self._url(
            room.participant_url,
            account,
            name=room.provider_room_id,
            display_name=display_name,
            moderator=False,
            expires_at=room.expires_at,
            language=language,
        )

    def _url(
        self,
        base: str,
        account: Account,
        *,
        name: str,
        display_name: str,
        moderator: bool,
        expires_at: datetime,
        language: str = "",
    ) -> str:
        url = base
        if account.secret:
            url += "?jwt=" + self.token(
                account, room=name, display_name=display_name, moderator=moderator, expires_at=expires_at
            )
        # Settings after '#' stay in the browser: the name never reaches the Jitsi server's logs this way.
        fragment = [f'userInfo.displayName="{quote(display_name)}"', "config.prejoinConfig.enabled=true"]
        if language in LANGUAGES:
            fragment.append(f'config.defaultLanguage="{language}"')
        return url + "#" + "&".join(fragment)

    def token(self, account: Account, *, room: str, display_name: str, moderator: bool, expires_at: datetime) -> str:
        """A JWT as Jitsi's token authentication (prosody mod_auth_token) checks it: HS256 with the app
        secret, `iss` the app id, `sub` the server's domain, `room` this room only."""
        now = timezone.now()
        affiliation = "owner" if moderator else "member"
        claims = {
            "aud": self.audience,
            "iss": account.account_id,
            "sub": urlsplit(self._server(account)).hostname,
            "room": room,
            "iat": int(now.timestamp()),
            "nbf": int((now - TOKEN_LEEWAY).timestamp()),
            "exp": int(expires_at.timestamp()),
            "moderator": moderator,
            "context": {"user": {"name": display_name, "moderator": moderator, "affiliation": affiliation}},
        }
        return jwt.encode(claims, account.secret, algorithm="HS256")
