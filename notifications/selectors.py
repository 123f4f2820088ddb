"""Reads of the outbox, always through the consults the user may see."""

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from scheduling.models import Appointment
from scheduling.selectors import manageable_appointments

from .models import DeliveryStatus, Notification, Reason

# Withdrawn messages that were replaced by a newer one say nothing the assistant needs to know.
_HIDDEN = {"status": DeliveryStatus.CANCELLED, "reason": Reason.SUPERSEDED}
# Failed messages stay on the assistant's list this long after the consult.
FAILED_LIST_DAYS = 7


def messages_for_appointment(*, appointment: Appointment) -> list[Notification]:
    rows = list(
        Notification.objects.filter(appointment=appointment)
        .exclude(**_HIDDEN)
        .select_related("participant", "user")
        .order_by("participant__position", "participant_id", "user_id", "send_after", "pk")
    )
    for row in rows:
        row.appointment = appointment  # the one consult, instead of a query per row
    return rows


def failed_messages(*, user: User) -> QuerySet[Notification]:
    """Failed messages of consults the user manages, from the last week onwards, by consult."""
    since = timezone.now() - timedelta(days=FAILED_LIST_DAYS)
    if user.organisation_id is None:
        return Notification.objects.none()
    return (
        Notification.objects.failed()
        # The outbox's own organisation and status (an index) come first: failed rows are few, while the
        # consults the user manages are many, and SQLite would otherwise walk all of them.
        .filter(organisation_id=user.organisation_id)
        .filter(appointment__in=manageable_appointments(user=user), appointment__start__gte=since)
        .select_related("appointment", "appointment__agent", "participant", "user")
        .order_by("appointment__start", "appointment_id", "pk")
    )


def get_failed_message(*, user: User, public_id: str) -> Notification | None:
    try:
        return (
            Notification.objects.filter(public_id=public_id, appointment__in=manageable_appointments(user=user))
            .select_related("participant", "user", "reminder_rule")
            .first()
        )
    except ValueError:
        return None
