"""What the API takes and gives, as pydantic schemas (they make the OpenAPI schema). Consults and series
are named by their public UUIDs, teams by their name and agents by their email address: never by the
database's sequential ids. Times are ISO 8601 with their offset; answers give them in the organisation's
time zone."""

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import AfterValidator, AwareDatetime
from pydantic_core import PydanticCustomError


def _storable(value: str) -> str:
    # PostgreSQL takes no NUL in text, and no database a lone surrogate: refuse them here as bad input.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        broken = True
    else:
        broken = "\x00" in value
    if broken:
        raise PydanticCustomError("unstorable_text", "The text holds NUL or broken Unicode.")
    return value


# Real offsets lie within UTC-12 and UTC+14; databases take no more than about 16 hours (PostgreSQL).
LARGEST_OFFSET = timedelta(hours=14)
YEARS = range(1900, 9001)


def _moment(value: datetime) -> datetime:
    # In UTC from here on, as Django stores it; a year far out would overflow the services' arithmetic.
    offset = value.utcoffset()
    if offset is None or abs(offset) > LARGEST_OFFSET or value.year not in YEARS:
        raise PydanticCustomError("moment_out_of_range", "The time or its offset is out of range.")
    return value.astimezone(UTC)


Moment = Annotated[AwareDatetime, AfterValidator(_moment)]
Storable = AfterValidator(_storable)
Text200 = Annotated[str, Field(max_length=200), Storable]
Address = Annotated[str, Field(max_length=254), Storable]
Phone = Annotated[str, Field(max_length=32), Storable]
LongText = Annotated[str, Field(max_length=2000), Storable]


ChannelName = Literal["email", "sms", "link"]
LanguageCode = Literal["nl", "en"]
ScopeName = Literal["this", "following", "all"]


class ErrorOut(Schema):
    detail: str = Field(description="What went wrong, in the language asked for (Accept-Language).")
    code: str = Field(description="A stable word for the kind of error: invalid, conflict, stale, ...")
    errors: dict[str, list[str]] = Field(default_factory=dict, description="Messages per field.")
    conflicts: list["ConflictOut"] = Field(default_factory=list)


class ConflictOut(Schema):
    """Another consult of the agent at that time; id and subject only for one the key's user may see."""

    start: datetime
    end: datetime
    id: UUID | None = None
    subject: str | None = None


class ParticipantIn(Schema):
    name: Text200
    channel: ChannelName = Field(description="email: invitation by email; sms: by SMS; link: shared by you.")
    email: Address = ""
    phone: Phone = Field("", description="Mobile number, e.g. +31612345678 or 06 12345678.")
    language: LanguageCode | None = Field(None, description="Of the messages; default the organisation's.")


class ConsultIn(Schema):
    team: Text200 = Field(description="The team's name, as GET /teams lists it.")
    agent: Address = Field(description="The agent's email address, as GET /teams lists it.")
    start: Moment
    end: Moment
    subject: Text200
    message: LongText = Field(
        description="Opens the invitation. The organisation's default message, sent as it is, reaches each "
        "participant in their own language."
    )
    participants: list[ParticipantIn] = Field(max_length=50)
    allow_conflicts: bool = Field(False, description="Book even though the agent has another consult then.")


class ConsultChangeIn(ConsultIn):
    sequence: int = Field(ge=0, le=2**31 - 1, description="The consult's sequence as last read (409 if outdated).")
    scope: ScopeName = Field("this", description="For a session of a series: this one, the following, or all.")


class CancelIn(Schema):
    scope: ScopeName = "this"


class RecurrenceIn(Schema):
    frequency: Literal["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]
    interval: int = Field(1, ge=1, le=99)
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=list, max_length=7, description="For a weekly series, 0 = Monday; none: the first's."
    )
    count: int | None = Field(None, ge=2, le=200, description="Number of sessions; or give `until`.")
    until: date | None = Field(None, description="Date of the last session; or give `count`.")
    skip: list[date] = Field(default_factory=list, max_length=200, description="Dates of sessions to leave out.")
    skip_closed: bool = Field(False, description="Leave out sessions on weekends and Dutch public holidays.")


class SeriesIn(ConsultIn):
    recurrence: RecurrenceIn


class PersonOut(Schema):
    name: str
    email: str


class ConsultFilter(Schema):
    starts_after: Moment | None = Field(None, description="Consults that start at or after this time.")
    starts_before: Moment | None = Field(None, description="Consults that start before this time.")
    team: str | None = Field(None, max_length=200, description="A team's name.")
    agent: str | None = Field(None, max_length=254, description="An agent's email address.")
    status: Literal["scheduled", "cancelled"] | None = None
    series: UUID | None = Field(None, description="The sessions of one series.")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class ParticipantOut(Schema):
    name: str
    channel: str
    language: str
    email: str
    phone: str
    join_url: str = Field(description="The participant's own link to the waiting room.")


class ConsultOut(Schema):
    id: UUID
    series: UUID | None
    status: Literal["scheduled", "cancelled"]
    sequence: int
    team: str
    agent: PersonOut
    start: datetime
    end: datetime
    subject: str
    message: str
    link_expires_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    cancelled_at: datetime | None
    participants: list[ParticipantOut]


class ConsultPage(Schema):
    count: int
    items: list[ConsultOut]


class ConsultsOut(Schema):
    consults: list[ConsultOut] = Field(description="The consults the request booked, changed or cancelled.")


class SeriesOut(Schema):
    id: UUID
    consults: list[ConsultOut]


class WaitingParticipantOut(Schema):
    name: str
    state: Literal["absent", "waiting", "knocking", "in_call", "removed"]
    waiting_since: datetime | None


class WaitingOut(Schema):
    id: UUID
    active: bool = Field(description="The agent has started the consult and not ended it.")
    started_at: datetime | None
    ended_at: datetime | None
    participants: list[WaitingParticipantOut]


class TeamOut(Schema):
    name: str
    agents: list[PersonOut]
