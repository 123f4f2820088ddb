"""Planning the messages about several sessions of a recurring series at once: one row per person, written
on the first session concerned, whatever the number of sessions (bulk inserts, no query per session for
booking)."""

from django.utils import timezone

from accounts.models import User
from scheduling.models import Appointment, Participant, Series

from .models import PENDING_STATUSES, DeliveryStatus, Notification, Purpose, Reason, ReminderRule
from .planning import Recipient, message_row, plan_reminders, reached_keys, reminder_rows, save


def announce_series(
    *, series: Series, appointments: list[Appointment], participants: list[Participant], rules: list[ReminderRule]
) -> None:
    """One confirmation per person for a whole new series (written on its first occurrence), and each
    occurrence's reminders at their own time: two bulk inserts, however long the series."""
    now = timezone.now()
    first = appointments[0]
    recipients = [Recipient(user=first.agent)]
    recipients += [Recipient(participant=p) for p in participants if p.appointment_id == first.pk]
    rows = [message_row(first, recipient, Purpose.SERIES, now) for recipient in recipients]
    by_pk = {appointment.pk: appointment for appointment in appointments}
    for participant in participants:
        rows += reminder_rows(by_pk[participant.appointment_id], [participant], rules, now).values()
    save(rows)


def announce_series_change(
    *,
    anchor: Appointment,
    targets: list[Appointment],
    previous_agent: User,
    kept: list[Participant],
    added: list[Participant],
    removed: list[Participant],
    participants: dict[int, list[Participant]],
) -> None:
    """A change to several sessions of a series at once: one message per person, written on the first of
    them (`anchor`, whose kept/added/removed participants stand for each position), and every session's
    reminders planned again. `participants` holds each target's participants after the change."""
    now = timezone.now()
    Notification.objects.filter(
        appointment__in=targets, purpose__in=[Purpose.INVITATION, Purpose.UPDATE], status__in=PENDING_STATUSES
    ).update(status=DeliveryStatus.CANCELLED, reason=Reason.SUPERSEDED, updated_at=now)
    agent = Recipient(user=anchor.agent)
    rows = [message_row(anchor, Recipient(participant=p), Purpose.SERIES_UPDATE, now) for p in kept]
    rows += [message_row(anchor, Recipient(participant=p), Purpose.SERIES, now) for p in added]
    rows += [message_row(anchor, Recipient(participant=p), Purpose.SERIES_CANCELLATION, now) for p in removed]
    if previous_agent.pk == anchor.agent_id:
        rows.append(message_row(anchor, agent, Purpose.SERIES_UPDATE, now))
    else:
        rows += [
            message_row(anchor, Recipient(user=previous_agent), Purpose.SERIES_CANCELLATION, now),
            message_row(anchor, agent, Purpose.SERIES, now),
        ]
    save(rows)
    for target in targets:
        plan_reminders(target, participants.get(target.pk, []), now)


def announce_series_cancellation(*, anchor: Appointment, targets: list[Appointment]) -> None:
    """Several sessions of a series cancelled at once: one cancellation per person that lists them all."""
    now = timezone.now()
    Notification.objects.filter(appointment__in=targets, status__in=PENDING_STATUSES).update(
        status=DeliveryStatus.CANCELLED, reason=Reason.CONSULT_CANCELLED, updated_at=now
    )
    recipients = [Recipient(user=anchor.agent)] + [Recipient(participant=p) for p in anchor.participants.active()]
    reached = reached_keys(anchor, recipients)
    save([message_row(anchor, r, Purpose.SERIES_CANCELLATION, now) for r in recipients if r.key in reached])
