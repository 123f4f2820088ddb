"""Outbound webhooks: the addresses an organisation registered, and one delivery row per event per address.

A delivery's payload is fixed when the event is planned (inside the transaction of the change it announces),
so what a receiver gets describes the consult as it was at that moment, even when it is sent a day later.
"""

import secrets
import uuid
from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from config.encryption import EncryptedTextField


class EventType(models.TextChoices):
    CONSULT_BOOKED = "consult.booked", _("Consult booked")
    CONSULT_CHANGED = "consult.changed", _("Consult changed")
    CONSULT_CANCELLED = "consult.cancelled", _("Consult cancelled")
    CLIENT_WAITING = "client.waiting", _("Client waiting")
    CONSULT_STARTED = "consult.started", _("Consult started")
    CONSULT_ENDED = "consult.ended", _("Consult ended")
    MESSAGE_FAILED = "message.failed", _("Message failed")
    # Sent on the admin's request only, to try an endpoint; nobody subscribes to it.
    PING = "ping", _("Test event")


SUBSCRIBABLE = [(value, label) for value, label in EventType.choices if value != EventType.PING]


def new_secret() -> str:
    # Stripe's shape: a prefix that says what it is, then 256 random bits.
    return "whsec_" + secrets.token_urlsafe(32)


class Endpoint(models.Model):
    """An https address of an integrator that receives the organisation's events, signed with its secret."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)
    active = models.BooleanField(_("active"), default=True)
    secret = EncryptedTextField(_("signing secret"), default=new_secret, editable=False)
    # After a roll the old secret signs alongside the new one for a while (as Stripe does), so the receiver
    # can be switched over without refusing a single request.
    previous_secret = EncryptedTextField(blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["organisation", "url", "pk"]

    def __str__(self) -> str:
        return self.description or self.url

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets each request is signed with now: the current one first."""
        expires = self.previous_secret_expires_at
        if self.previous_secret and expires is not None and now < expires:
            return [self.secret, self.previous_secret]
        return [self.secret]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One event for one endpoint: sent once it is claimed, tried again later on a passing failure."""

    public_id = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True, editable=False)
    # Shared by the deliveries of one event to several endpoints: the receiver's idempotency key.
    event_id = models.UUIDField(_("event id"), db_index=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("endpoint")
    )
    event_type = models.CharField(_("event"), max_length=32, choices=EventType.choices)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # When its task was queued, until a worker claims it; empty (a retry waiting, a broker that was down) or
    # older than the lease (a lost task), the sweep queues it when due.
    queued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("last response status"), null=True, blank=True)
    response_excerpt = models.CharField(_("last response or error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The sweep's questions: which rows are due, which claims were lost.
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["organisation", "status"], name="webhook_delivery_org_status"),
            # The nightly pruning of the log.
            models.Index(fields=["created_at"], name="webhook_delivery_created"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint}"
