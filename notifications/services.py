"""The only writers of the outbox.

Planning (`announce_*`) runs inside the scheduling services' transaction, so a consult and the messages
that announce it are saved together or not at all. Sending (`send_notification`) claims its row with a
conditional UPDATE first, so a task that runs twice sends once. Temporary failures are not retried with
Celery countdowns: the row goes back to `scheduled` with a later `send_after`, and the sweep picks it up,
so the database is the only schedule and nothing waits in a broker's memory.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import BadHeaderError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import User
from config.queueing import enqueue
from scheduling.models import Appointment, Channel, Participant

from .errors import DeliveryError
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
from .optout import opt_out, opted_out_numbers

logger = logging.getLogger(__name__)

# Statuses that mean the recipient has (or may have) received a message from us.
REACHED_STATUSES = (DeliveryStatus.SENDING, DeliveryStatus.SENT, DeliveryStatus.DELIVERED)
MAX_ATTEMPTS = 5


def _backoff(attempts: int) -> timedelta:
    # 1, 2, 4, 8 minutes: rides out a mail server restart without giving up within the quarter hour.
    return timedelta(minutes=2 ** max(attempts - 1, 0))


# --- planning -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Recipient:
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
        if self.participant.channel == Channel.EMAIL:
            return MessageChannel.EMAIL, self.participant.email
        if self.participant.channel == Channel.SMS:
            return MessageChannel.SMS, self.participant.phone
        return None  # copy-link participants get their link from the assistant


def _row(appointment: Appointment, recipient: _Recipient, purpose: str, now: datetime) -> Notification | None:
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


def _recipient_filter(recipients: Iterable[_Recipient]) -> Q:
    participant_ids = [r.participant.pk for r in recipients if r.participant]
    user_ids = [r.user.pk for r in recipients if r.user]
    return Q(participant_id__in=participant_ids) | Q(user_id__in=user_ids)


def _withdraw(appointment: Appointment, recipients: list[_Recipient], *, purposes: Iterable[str], reason: str) -> None:
    """Stop messages not yet claimed by a worker; one already being sent is left to finish."""
    if recipients:
        Notification.objects.filter(
            _recipient_filter(recipients),
            appointment=appointment,
            purpose__in=list(purposes),
            status__in=PENDING_STATUSES,
        ).update(status=DeliveryStatus.CANCELLED, reason=reason, updated_at=timezone.now())


def _reached(appointment: Appointment, recipients: list[_Recipient]) -> set[str]:
    """Keys of the recipients who have received (or are receiving) a message about this consult."""
    if not recipients:
        return set()
    if appointment.series_id is not None:
        return _reached_in_series(appointment, recipients)
    rows = Notification.objects.filter(
        _recipient_filter(recipients), appointment=appointment, status__in=REACHED_STATUSES
    ).values_list("participant_id", "user_id")
    return {recipient_key(participant_id=p, user_id=u) for p, u in rows}


def _reached_in_series(appointment: Appointment, recipients: list[_Recipient]) -> set[str]:
    """For a session of a series, a message about any of its sessions counts (the series' invitation is
    written on its first session). A participant is the same person at the same position in each."""
    by_position = {r.participant.position: r.key for r in recipients if r.participant}
    user_ids = [r.user.pk for r in recipients if r.user]
    rows = Notification.objects.filter(
        Q(participant__position__in=list(by_position)) | Q(user_id__in=user_ids),
        appointment__series_id=appointment.series_id,
        status__in=REACHED_STATUSES,
    ).values_list("participant__position", "user_id")
    return {by_position[position] if user_id is None else recipient_key(user_id=user_id) for position, user_id in rows}


def _save(rows: list[Notification]) -> None:
    rows = [row for row in rows if row is not None]
    if not rows:
        return
    created = Notification.objects.bulk_create(rows)
    ids = [row.pk for row in created if row.status == DeliveryStatus.QUEUED]
    if ids:
        transaction.on_commit(lambda: _enqueue(ids))


def _enqueue(ids: list[int]) -> None:
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


def _reminder_address(participant: Participant, rule: ReminderRule) -> tuple[str, str] | None:
    channel = participant.channel if rule.channel == ReminderChannel.OWN else rule.channel
    if channel == MessageChannel.EMAIL and participant.email:
        return MessageChannel.EMAIL, participant.email
    if channel == MessageChannel.SMS and participant.phone:
        return MessageChannel.SMS, participant.phone
    return None


def _reminder_rows(
    appointment: Appointment, participants: list[Participant], rules: list[ReminderRule], now: datetime
) -> dict[str, Notification]:
    """The reminders the rules ask for, by their key; only those still ahead (never late)."""
    desired: dict[str, Notification] = {}
    for rule in rules:
        send_after = appointment.start - rule.offset
        if send_after <= now:
            continue
        for participant in participants:
            address = _reminder_address(participant, rule)
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


def _plan_reminders(appointment: Appointment, participants: list[Participant], now: datetime) -> None:
    """Make the pending reminders match the rules, the start time and the participants.

    Pending rows move with the consult (same row, new time); rows that are no longer wanted are withdrawn;
    a reminder already sent for the same start is not planned again.
    """
    desired = _reminder_rows(appointment, participants, reminder_rules_for(appointment), now)
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
    _save(to_create)


def announce_booking(*, appointment: Appointment, participants: list[Participant]) -> None:
    """Invitations to the agent and every participant, and their reminders."""
    now = timezone.now()
    recipients = [_Recipient(user=appointment.agent)] + [_Recipient(participant=p) for p in participants]
    _save([_row(appointment, recipient, Purpose.INVITATION, now) for recipient in recipients])
    _plan_reminders(appointment, participants, now)


def announce_update(
    *,
    appointment: Appointment,
    previous_agent: User,
    kept: list[Participant],
    added: list[Participant],
    removed: list[Participant],
) -> None:
    """A change: updates to those who stay, invitations to newcomers, cancellations to those who leave."""
    now = timezone.now()
    staying = [_Recipient(participant=p) for p in kept]
    leaving = [_Recipient(participant=p) for p in removed]
    arriving = [_Recipient(participant=p) for p in added]
    if previous_agent.pk == appointment.agent_id:
        staying.append(_Recipient(user=appointment.agent))
    else:
        leaving.append(_Recipient(user=previous_agent))
        arriving.append(_Recipient(user=appointment.agent))
    rows = _cancellations(appointment, leaving, now)
    # A message still waiting in the queue is replaced: it would go out with the new details anyway.
    _withdraw(appointment, staying, purposes=(Purpose.INVITATION, Purpose.UPDATE), reason=Reason.SUPERSEDED)
    reached = _reached(appointment, staying)
    for recipient in staying:
        # Someone whose invitation never went out (withdrawn, or failed) gets an invitation, not a change.
        purpose = Purpose.UPDATE if recipient.key in reached else Purpose.INVITATION
        rows.append(_row(appointment, recipient, purpose, now))
    rows += [_row(appointment, recipient, Purpose.INVITATION, now) for recipient in arriving]
    _save(rows)
    _plan_reminders(appointment, kept + added, now)


def announce_cancellation(*, appointment: Appointment) -> None:
    now = timezone.now()
    participants = list(appointment.participants.active())
    recipients = [_Recipient(user=appointment.agent)] + [_Recipient(participant=p) for p in participants]
    # Everything still waiting is off, including messages to people no longer on the consult.
    Notification.objects.filter(appointment=appointment, status__in=PENDING_STATUSES).update(
        status=DeliveryStatus.CANCELLED, reason=Reason.CONSULT_CANCELLED, updated_at=now
    )
    _save(_cancellations(appointment, recipients, now))


def _cancellations(appointment: Appointment, recipients: list[_Recipient], now: datetime) -> list[Notification]:
    """Withdraw what these recipients have not received yet; tell those who did know that it is off."""
    _withdraw(appointment, recipients, purposes=Purpose.values, reason=Reason.CONSULT_CANCELLED)
    reached = _reached(appointment, recipients)
    return [_row(appointment, r, Purpose.CANCELLATION, now) for r in recipients if r.key in reached]


# --- sending --------------------------------------------------------------------------------------------


def _why_not_send(notification: Notification, now: datetime) -> str:
    appointment = notification.appointment
    if notification.purpose in (Purpose.CANCELLATION, Purpose.SERIES_CANCELLATION):
        return ""
    if notification.purpose in (Purpose.SERIES, Purpose.SERIES_UPDATE):
        from .content import affected_sessions

        # About several sessions: worth sending while any of them is still planned for the recipient.
        return "" if affected_sessions(notification) else Reason.CONSULT_CANCELLED
    if appointment.is_cancelled:
        return Reason.CONSULT_CANCELLED
    if notification.participant_id and notification.participant.removed_at is not None:
        return Reason.CONSULT_CANCELLED
    if notification.user_id and notification.user_id != appointment.agent_id:
        return Reason.SUPERSEDED
    if notification.purpose == Purpose.REMINDER and now >= appointment.start:
        return Reason.TOO_LATE
    return ""


def _deliver(notification: Notification, now: datetime) -> tuple[str, str]:
    """Hand the message to its channel; return (provider message id, status)."""
    if notification.channel == MessageChannel.EMAIL:
        from .emails import send_email

        return send_email(notification, now=now), DeliveryStatus.SENT

    from .content import build_content
    from .sms import get_sms_backend
    from .texts import render_sms

    if opted_out_numbers(organisation_id=notification.organisation_id, phones=[notification.to]):
        raise DeliveryError("The recipient replied STOP to an earlier SMS.", permanent=True, reason=Reason.OPTED_OUT)
    body = render_sms(build_content(notification))
    # An SMS that Twilio could not deliver before the link expires is of no use to anyone.
    valid_for = int((notification.appointment.link_expires_at - now).total_seconds())
    sent = get_sms_backend().send(
        to=notification.to, body=body, status_callback=_status_callback_url(), valid_for=max(valid_for, 60)
    )
    return sent.message_id, DeliveryStatus.SENT


def _status_callback_url() -> str | None:
    from django.urls import reverse

    # Twilio refuses callback URLs it cannot reach; a local run has none worth giving.
    if not settings.SITE_URL.startswith("https://"):
        return None
    return settings.SITE_URL + reverse("notifications:twilio-status")


def send_notification(*, notification_id: int) -> str:
    """Send one queued row once. Returns the row's status afterwards (for logs and tests)."""
    now = timezone.now()
    claimed = Notification.objects.filter(pk=notification_id, status=DeliveryStatus.QUEUED).update(
        status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
    )
    if not claimed:
        return "not-claimed"
    notification = Notification.objects.select_related(
        "appointment__organisation", "appointment__agent", "participant", "user"
    ).get(pk=notification_id)
    try:
        reason = _why_not_send(notification, now)
        if reason:
            _finish(notification_id, status=DeliveryStatus.CANCELLED, reason=reason)
            return DeliveryStatus.CANCELLED
        provider_id, status = _deliver(notification, now)
    except DeliveryError as error:
        return _record_failure(notification, error)
    except BadHeaderError as error:
        # A line break in a header (an organisation's sender name saved before it was checked) fails every
        # attempt alike.
        failure = DeliveryError(
            f"A header of the email is invalid: {error}", permanent=True, reason=Reason.CONFIGURATION
        )
        return _record_failure(notification, failure)
    except Exception as error:
        # Whatever else breaks while the message is put together or handed over (a bug, a backend's surprise)
        # is recorded on the row and tried again a bounded number of times, instead of leaving the row
        # "sending" for the sweep to hand out again and again.
        logger.exception("Sending message %s failed unexpectedly", notification_id)
        failure = DeliveryError(f"{type(error).__name__}: {error}", reason=Reason.INTERNAL)
        return _record_failure(notification, failure, reason=Reason.INTERNAL)
    _finish(notification_id, status=status, provider_message_id=provider_id, sent_at=timezone.now())
    return status


def _finish(notification_id: int, **fields) -> None:
    fields.setdefault("reason", "")
    fields.setdefault("last_error", "")
    Notification.objects.filter(pk=notification_id, status=DeliveryStatus.SENDING).update(
        updated_at=timezone.now(), **fields
    )


def _record_failure(notification: Notification, error: DeliveryError, *, reason: str = "") -> str:
    """`reason` is what the row says when the last attempt fails too; by default the error's own."""
    if error.reason == Reason.OPTED_OUT and notification.channel == MessageChannel.SMS:
        # Twilio refused because the number opted out there: remember it, so no booking offers SMS again.
        opt_out(organisation_id=notification.organisation_id, phone=notification.to)
    if error.permanent or notification.attempts >= MAX_ATTEMPTS:
        final = reason or error.reason
        _finish(notification.pk, status=DeliveryStatus.FAILED, reason=final, last_error=error.message[:500])
        return DeliveryStatus.FAILED
    _finish(
        notification.pk,
        status=DeliveryStatus.SCHEDULED,
        send_after=timezone.now() + _backoff(notification.attempts),
        reason=reason or Reason.TEMPORARY,
        last_error=error.message[:500],
    )
    return DeliveryStatus.SCHEDULED


@dataclass(frozen=True)
class SweepResult:
    due: int
    requeued: int
    interrupted: int


def sweep(*, now: datetime | None = None, batch: int = 1000) -> SweepResult:
    """Queue due rows (reminders, retries) and recover rows whose task or worker was lost."""
    now = now or timezone.now()
    lease = timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS)
    due = list(
        Notification.objects.filter(status=DeliveryStatus.SCHEDULED, send_after__lte=now)
        .order_by("send_after")
        .values_list("pk", flat=True)[:batch]
    )
    if due:
        # The send_after bound repeats what made them due; it keeps the claim on the index's short due range
        # instead of every scheduled reminder (SQLite picks the status index for this UPDATE).
        Notification.objects.filter(pk__in=due, status=DeliveryStatus.SCHEDULED, send_after__lte=now).update(
            status=DeliveryStatus.QUEUED, queued_at=now, updated_at=now
        )
    lost = list(
        Notification.objects.filter(status=DeliveryStatus.QUEUED, queued_at__lt=now - lease)
        .order_by()
        .values_list("pk", flat=True)[:batch]
    )
    if lost:
        Notification.objects.filter(pk__in=lost).update(queued_at=now, updated_at=now)
    stale = Notification.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=now - lease)
    # A worker died while sending. Email goes again with the same Message-ID, which mail clients drop as a
    # duplicate; an SMS has no such key, so it is marked for a person to check instead of sent twice.
    interrupted = stale.filter(channel=MessageChannel.SMS).update(
        status=DeliveryStatus.FAILED, reason=Reason.INTERRUPTED, updated_at=now
    )
    # An email whose every attempt took its worker down (a message that crashes the process) is given up
    # after as many attempts as any other failure, so it shows among the failed messages.
    interrupted += stale.filter(channel=MessageChannel.EMAIL, attempts__gte=MAX_ATTEMPTS).update(
        status=DeliveryStatus.FAILED, reason=Reason.GAVE_UP, updated_at=now
    )
    resend = list(stale.filter(channel=MessageChannel.EMAIL).order_by().values_list("pk", flat=True)[:batch])
    if resend:
        Notification.objects.filter(pk__in=resend, status=DeliveryStatus.SENDING).update(
            status=DeliveryStatus.QUEUED, queued_at=now, updated_at=now
        )
    transaction.on_commit(lambda: _enqueue(due + lost + resend))
    return SweepResult(due=len(due), requeued=len(lost) + len(resend), interrupted=interrupted)


# --- after sending --------------------------------------------------------------------------------------

# Provider statuses in the order they happen; a late callback never moves a row backwards.
_SMS_STATUS_RANK = {"queued": 0, "accepted": 0, "scheduled": 0, "sending": 1, "sent": 2}
_FINAL_SMS = {
    "delivered": DeliveryStatus.DELIVERED,
    "undelivered": DeliveryStatus.FAILED,
    "failed": DeliveryStatus.FAILED,
}


def record_sms_status(*, message_id: str, status: str, error_code: str, reason: str) -> bool:
    """Record a delivery report. Returns False when no message has that id (it is then ignored)."""
    now = timezone.now()
    final = _FINAL_SMS.get(status)
    if final is None:
        return Notification.objects.filter(provider_message_id=message_id).exists()
    rows = Notification.objects.filter(provider_message_id=message_id, status__in=[DeliveryStatus.SENT])
    if final == DeliveryStatus.DELIVERED:
        updated = rows.update(status=final, delivered_at=now, reason="", updated_at=now)
    else:
        updated = rows.update(
            status=final, reason=reason, last_error=f"Twilio {status}, error {error_code or '-'}", updated_at=now
        )
    return bool(updated) or Notification.objects.filter(provider_message_id=message_id).exists()


def resend_notification(*, notification: Notification) -> bool:
    """Send a failed message again, to the participant's current address (it may have been corrected)."""
    now = timezone.now()
    to = notification.to
    if notification.participant_id and notification.purpose != Purpose.REMINDER:
        address = _Recipient(participant=notification.participant).address
        to = address[1] if address else to
    elif notification.participant_id:
        address = (
            _reminder_address(notification.participant, notification.reminder_rule)
            if notification.reminder_rule
            else None
        )
        to = address[1] if address else to
    elif notification.user_id:
        to = notification.user.email
    with transaction.atomic():
        updated = Notification.objects.filter(pk=notification.pk, status=DeliveryStatus.FAILED).update(
            status=DeliveryStatus.QUEUED, to=to, send_after=now, queued_at=now, attempts=0, updated_at=now
        )
        if updated:
            transaction.on_commit(lambda: _enqueue([notification.pk]))
    return bool(updated)
