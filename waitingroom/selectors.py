"""What a join link leads to. Every request re-checks expiry and cancellation."""

import enum

from django.utils import timezone

from scheduling.models import Participant


class LinkState(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


def participant_for_token(*, token: str) -> Participant | None:
    """The participant whose link this is, with consult, agent and organisation; None for an unknown token."""
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
