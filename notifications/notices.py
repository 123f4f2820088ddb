"""Notices to staff of what a client did through their own link (scheduling.selfservice): an email to the
consult's agent and to each assistant of its team. They carry no calendar invite; the consult's own
messages (the cancellation with its CANCEL) are planned as for any other change."""

from django.utils import timezone

from accounts.models import User
from accounts.selectors import team_assistants
from scheduling.models import Appointment, Participant, TimeRequest

from .models import DeliveryStatus, MessageChannel, Notification, Purpose, Reason
from .planning import save


def _staff(appointment: Appointment) -> list[User]:
    """The agent first, then the team's assistants (an agent who assists the team too gets one notice)."""
    people = [appointment.agent, *team_assistants(team_id=appointment.team_id)]
    return list({user.pk: user for user in people}.values())


def _notice(appointment: Appointment, user: User, purpose: str, key: str) -> Notification:
    now = timezone.now()
    return Notification(
        organisation_id=appointment.organisation_id,
        appointment=appointment,
        user=user,
        purpose=purpose,
        channel=MessageChannel.EMAIL,
        to=user.email,
        dedupe_key=key,
        send_after=now,
        status=DeliveryStatus.QUEUED,
        queued_at=now,
    )


def announce_client_cancellation(*, appointment: Appointment, participant: Participant) -> None:
    """`participant` cancelled `appointment`, which is cancelled now (its sequence risen)."""
    save(
        _notice(
            appointment,
            user,
            Purpose.CLIENT_CANCELLED,
            f"{Purpose.CLIENT_CANCELLED}:{appointment.pk}:u{user.pk}:{appointment.sequence}",
        )
        for user in _staff(appointment)
    )


def announce_time_request(*, request: TimeRequest) -> None:
    """A new or renewed request: a notice not yet sent about its earlier note is replaced by this one."""
    appointment = request.appointment
    Notification.objects.filter(
        time_request=request, purpose=Purpose.TIME_REQUEST, status__in=(DeliveryStatus.SCHEDULED, DeliveryStatus.QUEUED)
    ).update(status=DeliveryStatus.CANCELLED, reason=Reason.SUPERSEDED, updated_at=timezone.now())
    rows = []
    for user in _staff(appointment):
        row = _notice(
            appointment,
            user,
            Purpose.TIME_REQUEST,
            f"{Purpose.TIME_REQUEST}:{request.pk}:u{user.pk}:{request.asked_at:%Y%m%dT%H%M%S.%f}",
        )
        row.time_request = request
        rows.append(row)
    save(rows)
