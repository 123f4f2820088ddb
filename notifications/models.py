"""The outbox (one row per message to one recipient) and the reminder rules that plan some of those rows."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from accounts.models import Organisation
from scheduling.models import Appointment, Participant


class Purpose(models.TextChoices):
    INVITATION = "invitation", _("Invitation")
    # A noun: "Wijziging", not the button's "Wijzigen".
    UPDATE = "update", pgettext_lazy("kind of message", "Change")
    CANCELLATION = "cancellation", _("Cancellation")
    REMINDER = "reminder", _("Reminder")
    # One message for a whole recurring series (or the rest of it), listing its dates.
    SERIES = "series", _("Series invitation")
    SERIES_UPDATE = "series_update", _("Series change")
    SERIES_CANCELLATION = "series_cancel", _("Series cancellation")
    # Notices to the agent and the team's assistants of what a client did through their own link.
    CLIENT_CANCELLED = "client_cancelled", _("Cancelled by the client")
    TIME_REQUEST = "time_request", _("Request for another time")


# Messages about several occurrences of a series at once, sent with a calendar invite for the series.
SERIES_PURPOSES = (Purpose.SERIES, Purpose.SERIES_UPDATE, Purpose.SERIES_CANCELLATION)
# Notices to staff about a client's own change: no calendar invite, sent to any user of the team.
NOTICE_PURPOSES = (Purpose.CLIENT_CANCELLED, Purpose.TIME_REQUEST)


class MessageChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class DeliveryStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Not sent")


# Rows in these states may still be sent; the rest are final (a failed row only moves on by "send again").
PENDING_STATUSES = (DeliveryStatus.SCHEDULED, DeliveryStatus.QUEUED)


class Reason(models.TextChoices):
    """Why a message failed or was not sent, in words the assistant can act on."""

    INVALID_ADDRESS = "invalid_address", _("The email address or mobile number does not exist.")
    NOT_MOBILE = "not_mobile", _("The number is not a mobile number that can receive SMS.")
    OPTED_OUT = "opted_out", _("The recipient has asked not to receive SMS from this sender (STOP).")
    MAILBOX_REFUSED = "mailbox_refused", _("The recipient's mail server refused the message.")
    BOUNCED = "bounced", _("The email came back from the recipient's mail server (it bounced).")
    COMPLAINED = (
        "complained",
        _("The recipient marked an email as spam; no more email goes to this address until it is changed."),
    )
    SUPPRESSED = (
        "suppressed",
        _(
            "The email service no longer sends to this address, because earlier email to it bounced or was "
            "marked as spam."
        ),
    )
    UNREACHABLE = "unreachable", _("The phone was unreachable; the network gave up.")
    CARRIER_BLOCKED = "carrier_blocked", _("The phone network blocked the message.")
    CONFIGURATION = "configuration", _("The sending service is not set up correctly; ask the administrator.")
    TEMPORARY = "temporary", _("The sending service was temporarily unavailable; it is tried again.")
    INTERRUPTED = "interrupted", _("Sending was interrupted; it is unknown whether the SMS arrived.")
    GAVE_UP = "gave_up", _("Sending broke off every time it was tried, so it was given up.")
    INTERNAL = "internal", _("The message could not be prepared because of an error on our side; it is in the logs.")
    SUPERSEDED = "superseded", _("Replaced by a newer message.")
    CONSULT_CANCELLED = "consult_cancelled", _("The consult was cancelled.")
    TOO_LATE = "too_late", _("The consult had already started.")
    ERASED = "erased", _("The recipient's personal data was erased.")
    UNKNOWN = "unknown", _("The message could not be delivered.")


class NotificationQuerySet(models.QuerySet["Notification"]):
    def failed(self) -> "NotificationQuerySet":
        return self.filter(status=DeliveryStatus.FAILED)


class Notification(models.Model):
    """One message to one recipient for one purpose: the outbox row that a task sends exactly once.

    The recipient is either a participant or a user (the agent). The content is rendered when the row is
    sent, from the consult as it is then, so a message waiting in the queue never announces an old time.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="notifications")
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    purpose = models.CharField(_("message"), max_length=16, choices=Purpose.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=MessageChannel.choices)
    to = models.CharField(_("to"), max_length=254)
    # The client's request a TIME_REQUEST notice is about; it is read when the notice is sent.
    time_request = models.ForeignKey(
        "scheduling.TimeRequest", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    reminder_rule = models.ForeignKey(
        "ReminderRule", on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    # The idempotency key: a second row for the same message to the same recipient cannot exist.
    dedupe_key = models.CharField(max_length=200, unique=True)
    send_after = models.DateTimeField(_("send after"))
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.SCHEDULED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    reason = models.CharField(_("reason"), max_length=32, choices=Reason.choices, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    provider_message_id = models.CharField(_("provider's message id"), max_length=255, blank=True, db_index=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(participant__isnull=True, user__isnull=False)
                | Q(participant__isnull=False, user__isnull=True),
                name="notification_one_recipient",
            ),
        ]
        indexes = [
            # The sweep's two questions: which rows are due, which queued rows were lost.
            models.Index(fields=["status", "send_after"], name="notification_status_due"),
            models.Index(fields=["appointment", "status"], name="notification_appointment"),
            models.Index(fields=["organisation", "status"], name="notification_org_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} → {self.to}"

    @property
    def recipient_key(self) -> str:
        return recipient_key(participant_id=self.participant_id, user_id=self.user_id)

    @property
    def to_assistant(self) -> bool:
        """A notice to one of the team's assistants rather than to the consult's agent."""
        return (
            self.purpose in NOTICE_PURPOSES and self.user_id is not None and self.user_id != self.appointment.agent_id
        )

    @property
    def recipient_name(self) -> str:
        return self.participant.name if self.participant_id else self.user.full_name


def recipient_key(*, participant_id: int | None = None, user_id: int | None = None) -> str:
    return f"p{participant_id}" if participant_id else f"u{user_id}"


class ReminderChannel(models.TextChoices):
    # Lower case: the labels also complete the sentence "24 hours before (...)".
    OWN = "own", _("participant's own channel")
    EMAIL = "email", _("email")
    SMS = "sms", _("SMS")


class OffsetUnit(models.TextChoices):
    MINUTES = "minutes", _("minutes")
    HOURS = "hours", _("hours")
    DAYS = "days", _("days")


class ReminderRule(models.Model):
    """Send participants a reminder this long before the start.

    Rules without an agent are the organisation's defaults; an agent with rules of their own gets only those.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="reminder_rules", verbose_name=_("organisation")
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminder_rules",
        verbose_name=_("agent"),
        help_text=_("Leave empty for a rule of the whole organisation. An agent with own rules gets only those."),
    )
    amount = models.PositiveIntegerField(
        _("how long before"), validators=[MinValueValidator(1), MaxValueValidator(10000)]
    )
    unit = models.CharField(_("unit"), max_length=8, choices=OffsetUnit.choices, default=OffsetUnit.HOURS)
    channel = models.CharField(_("channel"), max_length=8, choices=ReminderChannel.choices, default=ReminderChannel.OWN)

    class Meta:
        verbose_name = _("reminder rule")
        verbose_name_plural = _("reminder rules")
        ordering = ["organisation", "agent", "-amount"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=1), name="reminder_rule_positive_amount"),
        ]

    def __str__(self) -> str:
        return _("%(offset)s before (%(channel)s)") % {
            "offset": self.offset_display,
            "channel": self.get_channel_display(),
        }

    def clean(self) -> None:
        twins = ReminderRule.objects.filter(
            organisation_id=self.organisation_id,
            agent_id=self.agent_id,
            amount=self.amount,
            unit=self.unit,
            channel=self.channel,
        ).exclude(pk=self.pk)
        if self.organisation_id and twins.exists():
            raise ValidationError(_("This reminder already exists; it would be sent twice."))

    @property
    def offset(self) -> timedelta:
        return timedelta(**{self.unit: self.amount})

    @property
    def offset_display(self) -> str:
        if self.unit == OffsetUnit.DAYS:
            return ngettext("%(n)d day", "%(n)d days", self.amount) % {"n": self.amount}
        if self.unit == OffsetUnit.HOURS:
            return ngettext("%(n)d hour", "%(n)d hours", self.amount) % {"n": self.amount}
        return ngettext("%(n)d minute", "%(n)d minutes", self.amount) % {"n": self.amount}


class SmsOptOut(models.Model):
    """A mobile number that replied STOP to an SMS of this organisation: it gets no SMS from it again, until
    it replies START. Kept when a person's other data is erased, so the wish is still honoured."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    phone = models.CharField(_("mobile number"), max_length=20)
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("SMS opt-out")
        verbose_name_plural = _("SMS opt-outs")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["organisation", "phone"], name="sms_opt_out_unique")]

    def __str__(self) -> str:
        return self.phone


class EmailComplaint(models.Model):
    """An email address whose owner marked a message of this organisation as spam (the email service's
    complaint report): no more email goes to it. A participant whose address is changed gets mail at the new
    one. Kept when a person's other data is erased, like SMS opt-outs, so the wish is still honoured."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    email = models.EmailField(_("email address"))
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("email complaint")
        verbose_name_plural = _("email complaints")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["organisation", "email"], name="email_complaint_unique")]

    def __str__(self) -> str:
        return self.email


class Heartbeat(models.Model):
    """When a periodic job last ran (by name): the health URL reads beat's pulse here, in the database every
    process shares, because without Redis each process has a cache of its own."""

    name = models.CharField(max_length=50, unique=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"


class CalendarFeed(models.Model):
    """A user's calendar subscription: the secret in its URL is stored only as a SHA-256 hash, so a copy of
    the database cannot be used to read anyone's agenda. One per user; making a new one replaces the old."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed", verbose_name=_("user")
    )
    # A 256-bit random token needs no salt or slow hash: there is nothing to guess from its hash.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("calendar subscription")
        verbose_name_plural = _("calendar subscriptions")

    def __str__(self) -> str:
        return str(self.user)
