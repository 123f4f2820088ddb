"""The contract every video provider fulfils, and its one error type.

A provider turns a consult into a room: an id at the provider, a URL that makes the agent the host, a URL
for participants, and when the room stops working. Providers never see personal data of clients except
the display name put into a participant's own URL.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


class VideoProviderError(Exception):
    """A provider call failed. `permanent` failures are shown to a person; others are tried again,
    not before `retry_after` seconds when the provider said so (HTTP 429 Retry-After)."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after


@dataclass(frozen=True)
class Account:
    """The credentials a provider works with: the organisation's service account plus the agent's room.

    Which fields a provider reads is up to the provider; the secrets never show in a repr (logs, tracebacks).
    """

    provider: str
    server_url: str = ""
    account_id: str = ""
    secret: str = field(default="", repr=False)
    webhook_secret: str = field(default="", repr=False)
    room_url: str = ""


@dataclass(frozen=True)
class RoomRequest:
    """What a provider knows of a consult: nothing that identifies the client."""

    reference: str  # the consult's public id
    start: datetime
    end: datetime
    # The room must keep working until the join links expire (see scheduling.models.link_expiry).
    expires_at: datetime
    participant_count: int
    host_name: str


@dataclass(frozen=True)
class Room:
    provider_room_id: str
    # Makes whoever opens it the host: only ever for the consult's agent.
    host_url: str = field(repr=False)
    participant_url: str
    expires_at: datetime


class VideoProvider(ABC):
    """One per entry in settings.VIDEO_PROVIDERS, built once per process."""

    # Usually translated lazily, at class definition.
    label: "str | StrPromise" = ""
    # The organisation may have a video service account (API key, app secret, server) for this provider,
    # or, when needed, must have one.
    takes_service_account: bool = False
    needs_service_account: bool = False
    # The agent's own fixed room URL is the room (personal rooms).
    needs_room_url: bool = False
    # Rooms live at the provider and must be deleted there when a consult is cancelled or moved.
    keeps_rooms: bool = False
    # Our server sends requests, with the account's key, to the account's server_url: an address typed in the
    # admin must then be on the operator's list (config.outbound). False when it only goes into browser links.
    calls_server_url: bool = False

    # The participant URL works inside an iframe of the waiting page.
    embeddable: bool = False
    # The consult happens on our own pages (the agent's call page, the client's join page) rather than at a
    # provider's URL: participants are let in by the agent and there is nothing to redirect to.
    in_page: bool = False
    # The most people (agent included) one room holds; None: as many as the consult has.
    max_people: int | None = None

    def can_embed(self, room_url: str) -> bool:
        return self.embeddable

    def account_problem(self, account: Account) -> str | None:
        """Why this account cannot make rooms, in words for the agent; None when it can."""
        return None

    @abstractmethod
    def create_room(self, *, request: RoomRequest, account: Account) -> Room:
        """Make a locked room for the consult, or raise VideoProviderError."""

    @abstractmethod
    def participant_url(self, *, room: Room, account: Account, display_name: str, language: str) -> str:
        """The URL one participant enters the room with, showing their name, in their language."""

    def delete_room(self, *, provider_room_id: str, account: Account) -> None:  # noqa: B027 - optional
        """Remove the room at the provider; deleting one that is gone already is not an error."""

    def close(self) -> None:  # noqa: B027 - optional: most providers hold no connection
        """Release connections; called when the settings change (tests) or the process ends."""
