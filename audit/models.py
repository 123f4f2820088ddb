"""The audit log: who did what to which consult or setting, when, and from which address. Append-only."""

import json

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation


class Action(models.TextChoices):
    CONSULT_BOOKED = "consult_booked", _("Consult booked")
    SERIES_BOOKED = "series_booked", _("Series booked")
    CONSULT_CHANGED = "consult_changed", _("Consult changed")
    CONSULT_REASSIGNED = "consult_reassigned", _("Consult reassigned")
    CONSULT_CANCELLED = "consult_cancelled", _("Consult cancelled")
    CLIENT_CANCELLED = "client_cancelled", _("Consult cancelled by the client")
    TIME_REQUESTED = "time_requested", _("Client asked for another time")
    WAITING_MESSAGE = "waiting_message", _("Message to waiting client")
    CONSULT_STARTED = "consult_started", _("Consult started")
    CONSULT_ENDED = "consult_ended", _("Consult ended")
    SETTING_ADDED = "setting_added", _("Added in the admin")
    SETTING_CHANGED = "setting_changed", _("Changed in the admin")
    SETTING_DELETED = "setting_deleted", _("Deleted in the admin")
    MFA_RESET = "mfa_reset", _("Two-factor authentication reset")
    LOGIN_UNLOCKED = "login_unlocked", _("Login unlocked")
    PERSON_ERASED = "person_erased", _("Personal data erased")
    DATA_RETAINED = "data_retention", _("Old personal data erased")
    FEED_CREATED = "feed_created", _("Calendar subscription URL made")
    FEED_REVOKED = "feed_revoked", _("Calendar subscription URL revoked")
    STATISTICS_EXPORTED = "statistics_exported", _("Statistics downloaded")
    WEBHOOK_SECRET_ROLLED = "webhook_secret_rolled", _("Webhook signing secret rolled")
    WEBHOOK_RESENT = "webhook_resent", _("Webhook delivery sent again")
    API_KEY_CREATED = "api_key_created", _("API key created")
    API_KEY_REVOKED = "api_key_revoked", _("API key revoked")


CHANGE_LABELS = {
    "time": _("time"),
    "agent": _("agent"),
    "team": _("team"),
    "subject": _("subject"),
    "message": _("message"),
    "participants": _("participants"),
}


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs):
        raise TypeError("The audit log is append-only.")

    def delete(self):
        raise TypeError("The audit log is append-only.")


class AuditEvent(models.Model):
    """One thing somebody did. Texts describe the object without clients' personal data (subject and time,
    not names), so the log may be kept longer than the consults it speaks of."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("organisation")
    )
    occurred_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    # Kept as text too: the log still says who it was after the user is removed.
    actor_name = models.CharField(_("who (name)"), max_length=254, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    object_type = models.CharField(_("kind of object"), max_length=100, blank=True)
    object_id = models.CharField(_("object"), max_length=64, blank=True)
    summary = models.CharField(_("what"), max_length=500)
    # What a change touched, kept so it shows in the reader's language: keys of CHANGE_LABELS for consults,
    # the admin's own change message (JSON, as in its LogEntry) for settings.
    changes = models.TextField(_("changed"), blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "-occurred_at"], name="audit_org_time")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_name}: {self.get_action_display()}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise TypeError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The audit log is append-only.")

    @property
    def changes_display(self) -> str:
        if self.changes.startswith("["):
            return LogEntry(change_message=_translated_field_names(self.changes)).get_change_message()
        return ", ".join(str(CHANGE_LABELS.get(key, key)) for key in self.changes.split(",") if key)


def _field_name(label: str) -> str:
    """A field's label as the admin stored it ("Brand colour": a form label, in English), in the reader's
    language. The catalogue knows the model's verbose name ("brand colour"), which Django's own lookup of the
    capitalised label misses, so the log showed English field names on a Dutch admin."""
    translated = gettext(label)
    if translated == label and label:
        translated = capfirst(gettext(label[0].lower() + label[1:]))
    return translated


def _translated_field_names(change_message: str) -> str:
    try:
        entries = json.loads(change_message)
    except json.JSONDecodeError:
        return change_message
    for entry in entries:
        for details in entry.values():
            if isinstance(details, dict) and isinstance(details.get("fields"), list):
                details["fields"] = [_field_name(name) for name in details["fields"]]
    return json.dumps(entries)
