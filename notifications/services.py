"""The only writers of the outbox.

Planning (`announce_*`) runs inside the scheduling services' transaction, so a consult and the messages
that announce it are saved together or not at all. Sending (`send_notification`) claims its row with a
conditional UPDATE first, so a task that runs twice sends once. Temporary failures are not retried with
Celery countdowns: the row goes back to `scheduled` with a later `send_after`, and the sweep picks it up,
so the database is the only schedule and nothing waits in a broker's memory.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import BadHeaderError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import User
from scheduling.models import Appointment, Participant
from webhooks.services import announce_message_failed

from .errors import DeliveryError
from .models import (
    PENDING_STATUSES,
    DeliveryStatus,
    Heartbeat,
    MessageChannel,
    Notification,
    Purpose,
    Reason,
)
from .optout import complained_addresses, opt_out, opted_out_numbers, record_complaint
from .planning import (
    Recipient,
    enqueue_sending,
    message_row,
    plan_reminders,
    reached_keys,
    reminder_address,
    save,
    withdraw,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def _backoff(attempts: int) -> timedelta:
    # 1, 2, 4, 8 minutes: rides out a mail server restart without giving up within the quarter hour.
    return timedelta(minutes=2 ** max(attempts - 1, 0))


def announce_booking(*, appointment: Appointment, participants: list[Participant]) -> None:
    """Invitations to the agent and every participant, and their reminders."""
    now = timezone.now()
    recipients = [Recipient(user=appointment.agent)] + [Recipient(participant=p) for p in participants]
    save([message_row(appointment, recipient, Purpose.INVITATION, now) for recipient in recipients])
    plan_reminders(appointment, participants, now)


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
    staying = [Recipient(participant=p) for p in kept]
    leaving = [Recipient(participant=p) for p in removed]
    arriving = [Recipient(participant=p) for p in added]
    if previous_agent.pk == appointment.agent_id:
        staying.append(Recipient(user=appointment.agent))
    else:
        leaving.append(Recipient(user=previous_agent))
        arriving.append(Recipient(user=appointment.agent))
    rows = _cancellations(appointment, leaving, now)
    # A message still waiting in the queue is replaced: it would go out with the new details anyway.
    withdraw(appointment, staying, purposes=(Purpose.INVITATION, Purpose.UPDATE), reason=Reason.SUPERSEDED)
    reached = reached_keys(appointment, staying)
    for recipient in staying:
        # Someone whose invitation never went out (withdrawn, or failed) gets an invitation, not a change.
        purpose = Purpose.UPDATE if recipient.key in reached else Purpose.INVITATION
        rows.append(message_row(appointment, recipient, purpose, now))
    rows += [message_row(appointment, recipient, Purpose.INVITATION, now) for recipient in arriving]
    save(rows)
    plan_reminders(appointment, kept + added, now)


def announce_cancellation(*, appointment: Appointment) -> None:
    now = timezone.now()
    participants = list(appointment.participants.active())
    recipients = [Recipient(user=appointment.agent)] + [Recipient(participant=p) for p in participants]
    # Everything still waiting is off, including messages to people no longer on the consult.
    Notification.objects.filter(appointment=appointment, status__in=PENDING_STATUSES).update(
        status=DeliveryStatus.CANCELLED, reason=Reason.CONSULT_CANCELLED, updated_at=now
    )
    save(_cancellations(appointment, recipients, now))


def _cancellations(appointment: Appointment, recipients: list[Recipient], now: datetime) -> list[Notification | None]:
    """Withdraw what these recipients have not received yet; tell those who did know that it is off."""
    withdraw(appointment, recipients, purposes=Purpose.values, reason=Reason.CONSULT_CANCELLED)
    reached = reached_keys(appointment, recipients)
    return [message_row(appointment, r, Purpose.CANCELLATION, now) for r in recipients if r.key in reached]


# --- sending --------------------------------------------------------------------------------------------


def _why_not_send(notification: Notification, now: datetime) -> str:
    appointment = notification.appointment
    if notification.purpose in (Purpose.CANCELLATION, Purpose.SERIES_CANCELLATION, Purpose.CLIENT_CANCELLED):
        return ""
    if notification.purpose == Purpose.TIME_REQUEST:
        # To the agent and the team's assistants; moot once the consult was changed or cancelled.
        request = notification.time_request
        if appointment.is_cancelled:
            return Reason.CONSULT_CANCELLED
        return Reason.SUPERSEDED if request is None or request.closed_at is not None else ""
    if notification.purpose in (Purpose.SERIES, Purpose.SERIES_UPDATE):
        from .content import affected_sessions

        # About several sessions: worth sending while any of them is still planned for the recipient.
        return "" if affected_sessions(notification) else Reason.CONSULT_CANCELLED
    if appointment.is_cancelled:
        return Reason.CONSULT_CANCELLED
    if notification.participant is not None and notification.participant.removed_at is not None:
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

        if complained_addresses(organisation_id=notification.organisation_id, emails=[notification.to]):
            raise DeliveryError(
                "The recipient marked an earlier email as spam.", permanent=True, reason=Reason.COMPLAINED
            )
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


def _finish(notification_id: int, **fields: object) -> None:
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
        with transaction.atomic():
            _finish(notification.pk, status=DeliveryStatus.FAILED, reason=final, last_error=error.message[:500])
            announce_failed(notification, final)
        return DeliveryStatus.FAILED
    _finish(
        notification.pk,
        status=DeliveryStatus.SCHEDULED,
        send_after=timezone.now() + _backoff(notification.attempts),
        reason=reason or Reason.TEMPORARY,
        last_error=error.message[:500],
    )
    return DeliveryStatus.SCHEDULED


def announce_failed(notification: Notification, reason: str) -> None:
    """The organisation's webhook receivers hear that a message failed: its kind, channel and reason only."""
    announce_message_failed(
        appointment=notification.appointment,
        message_id=notification.public_id,
        channel=notification.channel,
        purpose=notification.purpose,
        reason=reason,
    )


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
        Notification.objects.filter(pk__in=lost, status=DeliveryStatus.QUEUED, queued_at__lt=now - lease).update(
            queued_at=now, updated_at=now
        )
    stale = Notification.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=now - lease)
    # A worker died while sending. Email goes again with the same Message-ID, which mail clients drop as a
    # duplicate; an SMS has no such key, so it is marked for a person to check instead of sent twice.
    # An email whose every attempt took its worker down (a message that crashes the process) is given up
    # after as many attempts as any other failure, so it shows among the failed messages. Row by row (there
    # are few): each failure is announced to the webhooks by the sweep that made it.
    interrupted = 0
    given_up = stale.filter(
        Q(channel=MessageChannel.SMS) | Q(channel=MessageChannel.EMAIL, attempts__gte=MAX_ATTEMPTS)
    ).select_related("appointment__organisation")
    for row in given_up[:batch]:
        reason = Reason.INTERRUPTED if row.channel == MessageChannel.SMS else Reason.GAVE_UP
        with transaction.atomic():
            if stale.filter(pk=row.pk).update(status=DeliveryStatus.FAILED, reason=reason, updated_at=now):
                interrupted += 1
                announce_failed(row, reason)
    resend = list(stale.filter(channel=MessageChannel.EMAIL).order_by().values_list("pk", flat=True)[:batch])
    if resend:
        # The lease again: another sweep may have queued the row a moment ago and a worker claimed it afresh.
        Notification.objects.filter(pk__in=resend, status=DeliveryStatus.SENDING, claimed_at__lt=now - lease).update(
            status=DeliveryStatus.QUEUED, queued_at=now, updated_at=now
        )
    # A second beat's sweep may have moved some of the same rows an instant earlier. Each sweep queues only the
    # rows that carry its own `now`, so every row's task is queued once however many beats run.
    candidates = due + lost + resend
    moved = set(
        Notification.objects.filter(pk__in=candidates, status=DeliveryStatus.QUEUED, queued_at=now)
        .order_by()
        .values_list("pk", flat=True)
    )
    queued = [pk for pk in candidates if pk in moved]  # due ones first, earliest first
    transaction.on_commit(lambda: enqueue_sending(queued))
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
        with transaction.atomic():
            failing = list(rows.select_for_update(of=("self",)).select_related("appointment__organisation"))
            updated = rows.update(
                status=final, reason=reason, last_error=f"Twilio {status}, error {error_code or '-'}", updated_at=now
            )
            for row in failing:
                announce_failed(row, reason)
    return bool(updated) or Notification.objects.filter(provider_message_id=message_id).exists()


# anymail's normalized email events: the status a row takes and the statuses it may take it from. A report that
# arrives late (a "delivered" after the bounce) finds the row elsewhere and changes nothing; a report repeated
# finds it already moved. Other events (queued, deferred, opened...) say nothing the assistant needs.
_EMAIL_EVENTS = {
    "delivered": (DeliveryStatus.DELIVERED, (DeliveryStatus.SENT,)),
    # A bounce or complaint may follow the receiving server's acceptance ("delivered").
    "bounced": (DeliveryStatus.FAILED, (DeliveryStatus.SENT, DeliveryStatus.DELIVERED)),
    "complained": (DeliveryStatus.FAILED, (DeliveryStatus.SENT, DeliveryStatus.DELIVERED)),
    "rejected": (DeliveryStatus.FAILED, (DeliveryStatus.SENT,)),
    "failed": (DeliveryStatus.FAILED, (DeliveryStatus.SENT,)),
}
# anymail's reject_reason, for bounced and rejected messages.
_EMAIL_REASONS = {
    "invalid": Reason.INVALID_ADDRESS,
    "bounced": Reason.BOUNCED,
    "timed_out": Reason.BOUNCED,
    "blocked": Reason.MAILBOX_REFUSED,
    "spam": Reason.MAILBOX_REFUSED,
    "unsubscribed": Reason.SUPPRESSED,
}


def record_email_event(
    *, message_id: str, event_type: str, reject_reason: str, description: str, recipient: str = ""
) -> bool:
    """Record an email service's report. Returns False when no message has that id (it is then ignored).

    A complaint fails the message and keeps its address from every later email of the organisation, until
    the participant's address is changed; the service stops sending to it too, so a message there would fail.
    """
    if not message_id:
        return False
    known = Notification.objects.filter(provider_message_id=message_id, channel=MessageChannel.EMAIL)
    target = _EMAIL_EVENTS.get(event_type)
    if target is None:
        return known.exists()
    status, sources = target
    now = timezone.now()
    rows = known.filter(status__in=sources)
    if status == DeliveryStatus.DELIVERED:
        rows.update(status=status, delivered_at=now, reason="", updated_at=now)
        return known.exists()
    if event_type == "complained":
        reason = Reason.COMPLAINED
        for row in known.only("organisation_id", "to"):
            record_complaint(organisation_id=row.organisation_id, email=row.to or recipient)
    elif event_type == "rejected" and reject_reason in ("bounced", "spam"):
        # Refused at the service because of the address's past, not this message's content.
        reason = Reason.SUPPRESSED
    else:
        reason = _EMAIL_REASONS.get(reject_reason, Reason.UNKNOWN)
    with transaction.atomic():
        failing = list(rows.select_for_update(of=("self",)).select_related("appointment__organisation"))
        rows.update(status=status, reason=reason, last_error=description[:500], updated_at=now)
        for row in failing:
            announce_failed(row, reason)
    return known.exists()


def resend_notification(*, notification: Notification) -> bool:
    """Send a failed message again, to the participant's current address (it may have been corrected)."""
    now = timezone.now()
    to = notification.to
    # One of the two is set (notification_one_recipient); reading the other costs no query.
    participant, user = notification.participant, notification.user
    if participant is not None and notification.purpose != Purpose.REMINDER:
        address = Recipient(participant=participant).address
        to = address[1] if address else to
    elif participant is not None:
        rule = notification.reminder_rule
        address = reminder_address(participant, rule) if rule else None
        to = address[1] if address else to
    elif user is not None:
        to = user.email
    with transaction.atomic():
        updated = Notification.objects.filter(pk=notification.pk, status=DeliveryStatus.FAILED).update(
            status=DeliveryStatus.QUEUED, to=to, send_after=now, queued_at=now, attempts=0, updated_at=now
        )
        if updated:
            transaction.on_commit(lambda: enqueue_sending([notification.pk]))
    return bool(updated)


def beat_ran(*, name: str, now: datetime | None = None) -> None:
    """Note that a periodic job ran now (notifications.health reads it)."""
    Heartbeat.objects.update_or_create(name=name, defaults={"at": now or timezone.now()})
