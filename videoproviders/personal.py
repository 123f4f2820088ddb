"""A personal room: the agent's own fixed room URL (for example a locked Whereby room) for every consult.

The agent enters as the room's owner (signed in at the provider) and lets the knocking client in. Nothing
is created or deleted, so no API calls are made and no service account is needed.
"""

from urllib.parse import urlsplit

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .base import Account, Room, RoomRequest, VideoProvider
from .whereby import with_whereby_params


class PersonalRoomProvider(VideoProvider):
    label = gettext_lazy("Personal room (the agent's own room URL)")
    needs_room_url = True

    def account_problem(self, account: Account) -> str | None:
        if not account.room_url:
            return _("no personal room URL is filled in")
        return None

    def create_room(self, *, request: RoomRequest, account: Account) -> Room:
        return Room(
            provider_room_id="",
            host_url=account.room_url,
            participant_url=account.room_url,
            expires_at=request.expires_at,
        )

    def can_embed(self, room_url: str) -> bool:
        return _is_whereby(room_url)

    def participant_url(self, *, room: Room, account: Account, display_name: str, language: str) -> str:
        # Whereby rooms take the participant's name and language from the URL; other services may not.
        if _is_whereby(room.participant_url):
            return with_whereby_params(room.participant_url, display_name=display_name, language=language)
        return room.participant_url


def _is_whereby(url: str) -> bool:
    return (urlsplit(url).hostname or "").endswith(".whereby.com")
