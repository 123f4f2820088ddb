"""The building blocks of planning messages: who gets one, the outbox row, what was already received, and
the reminders a consult's rules ask for. The announcements of one consult (notifications.services) and of
several sessions of a series (notifications.series) are made of these.

Planning runs inside the scheduling services' transaction, so a consult and the messages that announce it
are saved together or not at all; the rows are handed to the workers once it commits.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from config.queueing import enqueue
from scheduling.models import Appointment, Channel, Participant

from .models import (
    PENDING_STATUSES,
    DeliveryStatus,
    MessageChannel,
    Notification,
    Purpose,
    Reason,
    ReminderChannel,
    ReminderRule,
    recipient_key,
)

# Statuses that mean the recipient has (or may have) received a message from us.
REACHED_STATUSES = (DeliveryStatus.SENDING, DeliveryStatus.SENT, DeliveryStatus.DELIVERED)


@dataclass(frozen=True)
class Recipient:
    participant: Participant | None = None
    user: User | None = None

    @property
    def key(self) -> str:
        return recipient_key(
            participant_id=self.participant.pk if self.participant else None,
            user_id=self.user.pk if self.user else None,
        )

    @property
    def address(self) -> tuple[str, str] | None:
        """(channel, address) for invitations, changes and cancellations; None when nothing is sent."""
        if self.user is not None:
            return MessageChannel.EMAIL, self.user.email
        participant = self.participant
        assert participant is not None  # a recipient is a user or a participant
        if participant.channel == Channel.EMAIL:
            return MessageChannel.EMAIL, participant.email
        if participant.channel == Channel.SMS:
            return MessageChannel.SMS, participant.phone
        return None  # copy-link participants get their link from the assistant


def message_row(appointment: Appointment, recipient: Recipient, purpose: str, now: datetime) -> Notification | None:
    address = recipient.address
    if address is None:
        return None
    channel, to = address
    return Notification(
        organisation_id=appointment.organisation_id,
        appointment=appointment,
        participant=recipient.participant,
        user=recipient.user,
        purpose=purpose,
        channel=channel,
        to=to,
        dedupe_key=f"{purpose}:{appointment.pk}:{recipient.key}:{appointment.sequence}",
        send_after=now,
        status=DeliveryStatus.QUEUED,
        queued_at=now,
    )


def _recipient_filter(recipients: Iterable[Recipient]) -> Q:
    participant_ids = [r.participant.pk for r in recipients if r.participant]
    user_ids = [r.user.pk for r in recipients if r.user]
    return Q(participant_id__in=participant_ids) | Q(user_id__in=user_ids)


def withdraw(appointment: Appointment, recipients: list[Recipient], *, purposes: Iterable[str], reason: str) -> None:
    """Stop messages not yet claimed by a worker; one already being sent is left to finish."""
    if recipients:
        Notification.objects.filter(
            _recipient_filter(recipients),
            appointment=appointment,
            purpose__in=list(purposes),
            status__in=PENDING_STATUSES,
        ).update(status=DeliveryStatus.CANCELLED, reason=reason, updated_at=timezone.now())


def reached_keys(appointment: Appointment, recipients: list[Recipient]) -> set[str]:
    """Keys of the recipients who have received (or are receiving) a message about this consult."""
    if not recipients:
        return set()
    if appointment.series_id is not None:
        return _reached_in_series(appointment.series_id, recipients)
    rows = Notification.objects.filter(
        _recipient_filter(recipients), appointment=appointment, status__in=REACHED_STATUSES
    ).values_list("participant_id", "user_id")
    return {recipient_key(participant_id=p, user_id=u) for p, u in rows}


def _reached_in_series(series_id: int, recipients: list[Recipient]) -> set[str]:
    """For a session of a series, a message about any of its sessions counts (the series' invitation is
    written on its first session). A participant is the same person at the same position in each."""
    by_position = {r.participant.position: r.key for r in recipients if r.participant}
    user_ids = [r.user.pk for r in recipients if r.user]
    rows = Notification.objects.filter(
        Q(participant__position__in=list(by_position)) | Q(user_id__in=user_ids),
        appointment__series_id=series_id,
        status__in=REACHED_STATUSES,
    ).values_list("participant__position", "user_id")
    return {by_position[position] if user_id is None else recipient_key(user_id=user_id) for position, user_id in rows}


def save(rows: Iterable[Notification | None]) -> None:
    """Insert the rows (None: a recipient who gets nothing) and queue the due ones once the transaction commits."""
    kept = [row for row in rows if row is not None]
    if not kept:
        return
    created = Notification.objects.bulk_create(kept)
    ids = [row.pk for row in created if row.status == DeliveryStatus.QUEUED]
    if ids:
        transaction.on_commit(lambda: enqueue_sending(ids))


def enqueue_sending(ids: list[int]) -> None:
    from .tasks import send_notification_task

    left = enqueue(send_notification_task, ids)
    if left:
        # Due at the sweep's next run once the broker is back, instead of after a lost task's lease.
        Notification.objects.filter(pk__in=left, status=DeliveryStatus.QUEUED).update(
            status=DeliveryStatus.SCHEDULED, updated_at=timezone.now()
        )


def reminder_rules_for(appointment: Appointment) -> list[ReminderRule]:
    """The agent's own rules if they have any, otherwise the organisation's."""
    rules = list(
        ReminderRule.objects.filter(
            Q(agent_id=appointment.agent_id) | Q(agent__isnull=True), organisation_id=appointment.organisation_id
        )
    )
    own = [rule for rule in rules if rule.agent_id is not None]
    return own or rules


def reminder_address(participant: Participant, rule: ReminderRule) -> tuple[str, str] | None:
    channel = participant.channel if rule.channel == ReminderChannel.OWN else rule.channel
    if channel == MessageChannel.EMAIL and participant.email:
        return MessageChannel.EMAIL, participant.email
    if channel == MessageChannel.SMS and participant.phone:
        return MessageChannel.SMS, participant.phone
    return None


def reminder_rows(
    appointment: Appointment, participants: list[Participant], rules: list[ReminderRule], now: datetime
) -> dict[str, Notification]:
    """The reminders the rules ask for, by their key; only those still ahead (never late)."""
    desired: dict[str, Notification] = {}
    for rule in rules:
        send_after = appointment.start - rule.offset
        if send_after <= now:
            continue
        for participant in participants:
            address = reminder_address(participant, rule)
            if address is None:
                continue
            key = f"reminder:{appointment.pk}:p{participant.pk}:r{rule.pk}:{appointment.start:%Y%m%dT%H%M%SZ}"
            desired[key] = Notification(
                organisation_id=appointment.organisation_id,
                appointment=appointment,
                participant=participant,
                purpose=Purpose.REMINDER,
                channel=address[0],
                to=address[1],
                reminder_rule=rule,
                dedupe_key=key,
                send_after=send_after,
                status=DeliveryStatus.SCHEDULED,
            )
    return desired


def plan_reminders(appointment: Appointment, participants: list[Participant], now: datetime) -> None:
    """Make the pending reminders match the rules, the start time and the participants.

    Pending rows move with the consult (same row, new time); rows that are no longer wanted are withdrawn;
    a reminder already sent for the same start is not planned again.
    """
    desired = reminder_rows(appointment, participants, reminder_rules_for(appointment), now)
    existing = list(Notification.objects.filter(appointment=appointment, purpose=Purpose.REMINDER))
    by_key = {row.dedupe_key: row for row in existing}
    movable = {
        (row.participant_id, row.reminder_rule_id): row
        for row in existing
        if row.status == DeliveryStatus.SCHEDULED and row.dedupe_key not in desired
    }
    to_create, to_move = [], []
    for key, wanted in desired.items():
        row = by_key.get(key)
        if row is not None:
            # Same reminder; the participant may have a new address or channel since it was planned.
            if row.status == DeliveryStatus.SCHEDULED and (row.channel, row.to) != (wanted.channel, wanted.to):
                row.channel, row.to = wanted.channel, wanted.to
                to_move.append(row)
            continue
        row = movable.pop((wanted.participant_id, wanted.reminder_rule_id), None)
        if row is None:
            to_create.append(wanted)
            continue
        row.dedupe_key, row.send_after, row.channel, row.to = key, wanted.send_after, wanted.channel, wanted.to
        to_move.append(row)
    if to_move:
        Notification.objects.bulk_update(to_move, ["dedupe_key", "send_after", "channel", "to"])
    if movable:
        Notification.objects.filter(
            pk__in=[row.pk for row in movable.values()], status=DeliveryStatus.SCHEDULED
        ).update(status=DeliveryStatus.CANCELLED, reason=Reason.SUPERSEDED, updated_at=now)
    save(to_create)
