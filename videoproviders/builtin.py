"""Built-in video rooms: the consult happens on our own pages, browser to browser, with nothing to sign up
for and no third party.

The room is the consult itself: the agent's call page and the client's join page, which becomes the call
when the agent lets the client in (waitingroom.calls). Media goes end to end between the browsers
(WebRTC, DTLS-SRTP) in a mesh, or through a TURN relay that cannot read it; only signalling (offers,
answers, network candidates) passes our server, and only to the call's own people. Nothing is recorded,
and nothing is made or deleted at a service: the room exists while the consult does.

TURN credentials follow coturn's shared-secret scheme (`use-auth-secret`): the user name is the expiry as
a Unix time and the person's id in the call, the password the base64 HMAC-SHA1 of that user name under the
shared secret, so coturn checks them without asking us and refuses them once expired.
"""

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from .base import Account, Room, RoomRequest, VideoProvider

ICE_POLICIES = ("all", "relay")
# Credentials are issued for the link's lifetime, but never for less than this: a consult that runs over
# keeps its relay when a page is reloaded late.
MINIMUM_CREDENTIAL_LIFETIME = timedelta(hours=1)


class BuiltinProvider(VideoProvider):
    label = gettext_lazy("Built-in video room (in the browser, nothing to sign up for)")
    in_page = True
    # Every browser sends its camera to every other one: five people means four uploads each, about what a
    # home connection and a phone can carry.
    max_people = 5

    def __init__(
        self,
        *,
        stun_urls: list[str] | tuple[str, ...] = (),
        turn_urls: list[str] | tuple[str, ...] = (),
        turn_secret: str = "",
        ice_transport_policy: str = "all",
        loopback_only: bool = False,
    ) -> None:
        if ice_transport_policy not in ICE_POLICIES:
            raise ValueError(f"ice_transport_policy must be one of {ICE_POLICIES}, not {ice_transport_policy!r}")
        if turn_urls and not turn_secret:
            raise ValueError("turn_urls need a turn_secret (coturn's static-auth-secret)")
        self.stun_urls = list(stun_urls)
        self.turn_urls = list(turn_urls)
        self.turn_secret = turn_secret
        self.ice_transport_policy = ice_transport_policy
        # Tests only: browsers keep to 127.0.0.1 candidates, so no test packet leaves the machine.
        self.loopback_only = loopback_only

    def create_room(self, *, request: RoomRequest, account: Account) -> Room:
        # The id names the room in logs and the admin; the consult's own pages are the room.
        return Room(
            provider_room_id=f"call-{secrets.token_hex(8)}",
            host_url=reverse("waitingroom:call", kwargs={"public_id": request.reference}),
            participant_url="",
            expires_at=request.expires_at,
        )

    def participant_url(self, *, room: Room, account: Account, display_name: str, language: str) -> str:
        return ""  # the join page is the room

    def ice_config(self, *, peer: str, expires_at: datetime, now: datetime | None = None) -> dict:
        """What one person's browser needs to connect: STUN and TURN servers (with credentials of their
        own, valid until the link expires) and whether to use the relay only."""
        servers: list[dict] = []
        if self.stun_urls:
            servers.append({"urls": self.stun_urls})
        if self.turn_urls:
            username, credential = turn_credentials(
                secret=self.turn_secret, peer=peer, expires_at=expires_at, now=now or timezone.now()
            )
            servers.append({"urls": self.turn_urls, "username": username, "credential": credential})
        return {
            "iceServers": servers,
            "iceTransportPolicy": self.ice_transport_policy,
            "loopbackOnly": self.loopback_only,
        }


def turn_credentials(*, secret: str, peer: str, expires_at: datetime, now: datetime) -> tuple[str, str]:
    """coturn's `use-auth-secret` credentials for one person: (user name, password)."""
    until = max(expires_at, now + MINIMUM_CREDENTIAL_LIFETIME)
    username = f"{int(until.timestamp())}:{peer}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()
