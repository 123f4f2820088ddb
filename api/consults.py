"""Consults and series through the API: the same selectors and services as the pages (scheduling.selectors,
scheduling.services, scheduling.series, scheduling.changes), acting as the key's user. Writes need a key
with the write scope, and the audit log names the key."""

from uuid import UUID

from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Query, Router, Status

from accounts.models import User
from accounts.selectors import agents_by_team, bookable_teams
from audit.context import acting_through
from scheduling import changes, series, services
from scheduling.models import Appointment, Participant
from scheduling.recurrence import Pattern, pattern_errors, resolve_skips
from scheduling.selectors import visible_appointments
from waitingroom.lists import consult_states

from .auth import key_of
from .keys import channel_of
from .lookups import consult_out, find_agent, find_team, local, participant_inputs
from .schemas import (
    CancelIn,
    ConsultChangeIn,
    ConsultFilter,
    ConsultIn,
    ConsultOut,
    ConsultPage,
    ConsultsOut,
    ErrorOut,
    SeriesIn,
    SeriesOut,
    TeamOut,
    WaitingOut,
)

router = Router(tags=["consults"])

# Every operation may answer these besides its own success.
ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}
WRITE_ERRORS = {**ERRORS, 403: ErrorOut, 409: ErrorOut}


def _user(request: HttpRequest) -> User:
    return key_of(request).user


def _with_details(qs: QuerySet[Appointment]) -> QuerySet[Appointment]:
    participants = Participant.objects.active().order_by("position", "pk")
    return qs.select_related("team", "agent", "organisation", "series").prefetch_related(
        Prefetch("participants", queryset=participants, to_attr="active_participants")
    )


def _consult(user: User, public_id: UUID) -> Appointment:
    """The consult as the key's user may see it (404 for anything else, another organisation's included)."""
    try:
        return _with_details(visible_appointments(user=user)).get(public_id=public_id)
    except Appointment.DoesNotExist:
        raise Http404 from None


def _consults(user: User, appointments: list[Appointment]) -> list[dict]:
    found = _with_details(visible_appointments(user=user).filter(pk__in=[a.pk for a in appointments]))
    found = found.order_by("start", "pk")
    return [consult_out(a) for a in found]


@router.get("/consults", response={200: ConsultPage, **ERRORS}, url_name="consult-list")
def list_consults(request: HttpRequest, filters: Query[ConsultFilter]) -> dict:
    """Consults the key's user sees (as on the overview), in time order, a page at a time."""
    qs = visible_appointments(user=_user(request))
    if filters.starts_after is not None:
        qs = qs.filter(start__gte=filters.starts_after)
    if filters.starts_before is not None:
        qs = qs.filter(start__lt=filters.starts_before)
    if filters.team:
        qs = qs.filter(team__name=filters.team)
    if filters.agent:
        qs = qs.filter(agent__email=filters.agent.strip().lower())
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.series:
        qs = qs.filter(series__public_id=filters.series)
    qs = qs.order_by("start", "pk")
    page = _with_details(qs)[filters.offset : filters.offset + filters.limit]
    return {"count": qs.count(), "items": [consult_out(a) for a in page]}


@router.get("/consults/{public_id}", response={200: ConsultOut, **ERRORS}, url_name="consult-detail")
def get_consult(request: HttpRequest, public_id: UUID) -> dict:
    """One consult with its participants, their channel and their join links."""
    return consult_out(_consult(_user(request), public_id))


def _service_kwargs(payload: ConsultIn, user: User) -> dict:
    organisation = user.organisation
    assert organisation is not None  # a key's user always has one (keys.key_for)
    return {
        "team": find_team(organisation=organisation, name=payload.team),
        "agent": find_agent(organisation=organisation, email=payload.agent),
        "start": payload.start,
        "end": payload.end,
        "subject": payload.subject,
        "message": payload.message,
        "allow_conflicts": payload.allow_conflicts,
    }


@router.post("/consults", response={201: ConsultOut, **WRITE_ERRORS}, url_name="consult-book")
def book_consult(request: HttpRequest, payload: ConsultIn, response: HttpResponse) -> Status:
    """Book a consult, as the booking form does: the invitations go out at once."""
    user = _user(request)
    kwargs = _service_kwargs(payload, user)
    rows = participant_inputs(payload.participants, organisation=kwargs["team"].organisation)
    with acting_through(channel_of(key_of(request))):
        appointment = services.book_appointment(booked_by=user, participants=rows, **kwargs)
    response["Location"] = reverse("api:consult-detail", kwargs={"public_id": appointment.public_id})
    return Status(201, consult_out(_consult(user, appointment.public_id)))


@router.put("/consults/{public_id}", response={200: ConsultsOut, **WRITE_ERRORS}, url_name="consult-change")
def change_consult(request: HttpRequest, public_id: UUID, payload: ConsultChangeIn) -> dict:
    """Change a consult (every field, as the edit form), or with `scope` the series' sessions ahead. Send the
    `sequence` you read: 409 if someone changed the consult since."""
    user = _user(request)
    appointment = _consult(user, public_id)
    kwargs = _service_kwargs(payload, user)
    rows = participant_inputs(
        payload.participants,
        organisation=appointment.organisation,
        current=appointment.active_participants,  # type: ignore[attr-defined]
    )
    with acting_through(channel_of(key_of(request))):
        changed = changes.change_consult(
            appointment=appointment,
            changed_by=user,
            expected_sequence=payload.sequence,
            scope=payload.scope,
            participants=rows,
            **kwargs,
        )
    return {"consults": _consults(user, changed or [appointment])}


@router.post("/consults/{public_id}/cancel", response={200: ConsultsOut, **WRITE_ERRORS}, url_name="consult-cancel")
def cancel_consult(request: HttpRequest, public_id: UUID, payload: CancelIn) -> dict:
    """Cancel a consult, or with `scope` the series' sessions ahead: links stop working, everyone is told."""
    user = _user(request)
    appointment = _consult(user, public_id)
    with acting_through(channel_of(key_of(request))):
        cancelled = changes.cancel_consult(appointment=appointment, cancelled_by=user, scope=payload.scope)
    return {"consults": _consults(user, cancelled)}


@router.post("/series", response={201: SeriesOut, **WRITE_ERRORS}, url_name="series-book")
def book_series(request: HttpRequest, payload: SeriesIn) -> Status:
    """Book a recurring series: one consult per session, one invitation with all dates per person."""
    user = _user(request)
    kwargs = _service_kwargs(payload, user)
    team = kwargs["team"]
    recurrence = payload.recurrence
    pattern = Pattern(
        frequency=recurrence.frequency,
        interval=recurrence.interval,
        weekdays=tuple(sorted(set(recurrence.weekdays))) if recurrence.frequency == "WEEKLY" else (),
        count=recurrence.count,
        until=None if recurrence.count is not None else recurrence.until,
        skip=tuple(sorted(set(recurrence.skip))),
    )
    tz = team.organisation.tzinfo
    if not pattern_errors(pattern, first_start=payload.start, tz=tz):
        # As the booking form: the weekend and holiday dates are left out when asked (book_series names errors).
        pattern = resolve_skips(pattern, first_start=payload.start, tz=tz, skip_closed=recurrence.skip_closed)
    rows = participant_inputs(payload.participants, organisation=team.organisation)
    with acting_through(channel_of(key_of(request))):
        booked = series.book_series(booked_by=user, participants=rows, pattern=pattern, **kwargs)
    sessions = list(booked.occurrences.all())
    return Status(201, {"id": booked.public_id, "consults": _consults(user, sessions)})


@router.get("/consults/{public_id}/waiting", response={200: WaitingOut, **ERRORS}, url_name="consult-waiting")
def waiting_state(request: HttpRequest, public_id: UUID) -> dict:
    """Who of the consult's participants is in the waiting room (since when), in the call, or not there."""
    user = _user(request)
    found = consult_states(user=user, public_id=public_id)
    appointment, organisation = found.appointment, found.appointment.organisation

    return {
        "id": appointment.public_id,
        "active": appointment.is_active,
        "started_at": local(appointment.started_at, organisation),
        "ended_at": local(appointment.ended_at, organisation),
        "participants": [
            {"name": p.name, "state": p.state, "waiting_since": local(p.waiting_since, organisation)}
            for p in found.participants
        ],
    }


@router.get("/teams", response={200: list[TeamOut], **ERRORS}, url_name="team-list", tags=["teams"])
def list_teams(request: HttpRequest) -> list[dict]:
    """The teams the key's user may book for, each with its agents (name and email address)."""
    teams = list(bookable_teams(user=_user(request)))
    agents = agents_by_team(teams=teams)
    return [
        {"name": team.name, "agents": [{"name": a.full_name, "email": a.email} for a in agents.get(team.pk, [])]}
        for team in teams
    ]


__all__ = ["router"]
