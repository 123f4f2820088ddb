"""An in-memory provider for tests, as Django's locmem email backend: rooms are kept in `rooms`,
deletions in `deleted`, and errors queued in `failures` are raised by the next calls, in order."""

import itertools

from .base import Account, Room, RoomRequest, VideoProvider, VideoProviderError

rooms: list[Room] = []
requests: list[RoomRequest] = []
deleted: list[str] = []
failures: list[VideoProviderError] = []
_ids = itertools.count(1)


def reset() -> None:
    rooms.clear()
    requests.clear()
    deleted.clear()
    failures.clear()


class LocmemProvider(VideoProvider):
    label = "In memory (tests)"
    keeps_rooms = True

    def _fail_if_asked(self) -> None:
        if failures:
            raise failures.pop(0)

    def create_room(self, *, request: RoomRequest, account: Account) -> Room:
        self._fail_if_asked()
        number = next(_ids)
        room = Room(
            provider_room_id=f"room-{number}",
            host_url=f"https://video.test/room-{number}?host-key=secret-{number}",
            participant_url=f"https://video.test/room-{number}",
            expires_at=request.expires_at,
        )
        rooms.append(room)
        requests.append(request)
        return room

    def participant_url(self, *, room: Room, account: Account, display_name: str, language: str) -> str:
        return f"{room.participant_url}?name={display_name}&lang={language}"

    def delete_room(self, *, provider_room_id: str, account: Account) -> None:
        self._fail_if_asked()
        deleted.append(provider_room_id)
