"""What a join link leads to. Every request re-checks expiry and cancellation."""

import enum
import re
from datetime import date, datetime, time, timedelta

from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from scheduling.models import Participant
from scheduling.selectors import visible_appointments

from .models import WaitingMessage


class LinkState(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


# Tokens are URL-safe base64 (scheduling.models.new_join_token); anything else is not looked up at all, so
# no stray byte (PostgreSQL refuses NUL in a query) reaches the database.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


_PAGE = re.compile(r"[A-Za-z0-9-]{8,40}")


def client_page(request: HttpRequest) -> str:
    """The client page's own random id, which its check-ins, its stream and its goodbye carry."""
    page = request.GET.get("page", "")
    return page if _PAGE.fullmatch(page) else ""


def participant_for_token(*, token: str) -> Participant | None:
    """The participant whose link this is, with consult, agent and organisation; None for an unknown token."""
    if not _TOKEN.fullmatch(token):
        return None
    return (
        Participant.objects.active()
        .select_related("appointment__organisation", "appointment__agent")
        .filter(token=token)
        .first()
    )


def link_state(*, participant: Participant) -> LinkState:
    appointment = participant.appointment
    if appointment.is_cancelled:
        return LinkState.CANCELLED
    if timezone.now() >= appointment.link_expires_at:
        return LinkState.EXPIRED
    return LinkState.VALID


def waiting_room(*, user: User, day: date, team_id: int | None = None, agent_id: int | None = None) -> list:
    """The day's scheduled consults the user sees, in time order, with each participant's presence and
    the messages sent to the waiting room: 3 queries."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=tz)
    qs = visible_appointments(user=user).scheduled().overlapping(start, start + timedelta(days=1))
    if team_id:
        qs = qs.filter(team_id=team_id)
    if agent_id:
        qs = qs.filter(agent_id=agent_id)
    return list(
        qs.select_related("team", "agent")
        .prefetch_related(
            Prefetch(
                "participants",
                queryset=Participant.objects.active().select_related("presence"),
                to_attr="active_participants",
            ),
            Prefetch("waiting_messages", queryset=WaitingMessage.objects.order_by("sent_at"), to_attr="messages"),
        )
        .order_by("start", "pk")
    )


def messages_for_client(*, appointment_id: int) -> list[WaitingMessage]:
    return list(WaitingMessage.objects.filter(appointment_id=appointment_id).order_by("sent_at", "pk")[:50])
