import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from config.encryption import EncryptedTextField
from config.outbound import check_outbound_url

from .registry import provider_choices, providers


def mask(secret: str) -> str:
    """Enough of a secret to recognise it in the admin, never enough to use it."""
    if not secret:
        return ""
    # Short secrets show nothing: four characters would give away too much of them.
    return "••••" + secret[-4:] if len(secret) >= 20 else "••••"


class ServiceAccount(models.Model):
    """An organisation's account at a video service: the API key or app secret that makes its rooms."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="video_accounts", verbose_name=_("organisation")
    )
    provider = models.CharField(_("video service"), max_length=32, choices=provider_choices)
    server_url = models.URLField(
        _("server address"),
        blank=True,
        help_text=_(
            "Leave empty for the service's standard address. Jitsi: your own Jitsi server, "
            "e.g. https://meet.example.nl. Whereby: only an API address the platform operator has allowed."
        ),
    )
    account_id = models.CharField(
        _("app id"), max_length=200, blank=True, help_text=_("Jitsi with JWT: the app id of your Jitsi server.")
    )
    # Encrypted at rest (config.encryption): a copy of the database alone gives away no organisation's keys.
    secret = EncryptedTextField(
        _("API key or app secret"),
        max_length=2000,
        blank=True,
        help_text=_("Whereby: the API key from the Whereby dashboard. Jitsi with JWT: the app secret."),
    )
    webhook_secret = EncryptedTextField(
        _("webhook signing secret"),
        max_length=500,
        blank=True,
        help_text=_("Whereby: the secret shown when you add the webhook in the Whereby dashboard."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("video service account")
        verbose_name_plural = _("video service accounts")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "provider"], name="service_account_one_per_provider")
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} · {self.organisation}"

    def __repr__(self) -> str:
        return f"<ServiceAccount {self.pk} {self.provider} secret={mask(self.secret)}>"

    def clean(self) -> None:
        errors = {}
        # The unique constraint names the organisation, which an organisation admin's form does not show, so
        # Django's own unique check skips it; without this a second account of a service is a database error.
        twins = ServiceAccount.objects.filter(organisation_id=self.organisation_id, provider=self.provider)
        if self.organisation_id and self.provider and twins.exclude(pk=self.pk).exists():
            errors["provider"] = _(
                "Your organisation already has an account for this video service, and there is one account per "
                "service. Change that account instead."
            )
        # Our server sends the account's key to this address: only an https one the operator listed.
        if self.server_url and self.provider in providers and providers[self.provider].calls_server_url:
            try:
                check_outbound_url(self.server_url)
            except ValidationError as error:
                errors["server_url"] = error
        if errors:
            raise ValidationError(errors)


class AgentVideoAccount(models.Model):
    """Which video service an agent's consults use, and for a personal room its URL."""

    agent = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="video_account", verbose_name=_("agent")
    )
    provider = models.CharField(_("video service"), max_length=32, choices=provider_choices)
    room_url = models.URLField(
        _("personal room URL"),
        blank=True,
        help_text=_("Only for a personal room: the agent's own room, e.g. https://practice.whereby.com/dr-jansen."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("video account")
        verbose_name_plural = _("video accounts")

    def __str__(self) -> str:
        return f"{self.get_provider_display()} · {self.agent}"

    def clean(self) -> None:
        if self.provider not in providers:
            return
        provider = providers[self.provider]
        if provider.needs_room_url:
            if not self.room_url:
                raise ValidationError({"room_url": _("Fill in the agent's personal room URL.")})
            if not self.room_url.startswith("https://"):
                raise ValidationError({"room_url": _("The room URL must start with https://.")})
        elif self.room_url:
            raise ValidationError({"room_url": _("Only a personal room has a room URL; leave this empty.")})
        organisation_id = self.agent.organisation_id if self.agent_id else None
        if (
            provider.needs_service_account
            and organisation_id
            and not ServiceAccount.objects.filter(organisation_id=organisation_id, provider=self.provider).exists()
        ):
            raise ValidationError(
                {
                    "provider": _(
                        "Your organisation has no %(service)s account yet. Add it under Video service accounts first."
                    )
                    % {"service": provider.label}
                }
            )


class RoomStatus(models.TextChoices):
    PENDING = "pending", _("Being prepared")
    CREATING = "creating", _("Being created")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Could not be created")
    DELETING = "deleting", _("Being removed")
    DELETED = "deleted", _("Removed")


# A consult has at most one room in these states; the others are history.
LIVE_STATUSES = (RoomStatus.PENDING, RoomStatus.CREATING, RoomStatus.READY, RoomStatus.FAILED)


class VideoRoom(models.Model):
    """A consult's room at a provider. A new row when the consult moves or its agent's account changes."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.CASCADE, related_name="video_rooms", verbose_name=_("appointment")
    )
    status = models.CharField(_("status"), max_length=16, choices=RoomStatus.choices, default=RoomStatus.PENDING)
    provider = models.CharField(_("video service"), max_length=32, blank=True)
    service_account = models.ForeignKey(
        ServiceAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The account the room was made with; when the agent's account changes the room is made anew.
    account_key = models.CharField(max_length=300, blank=True)
    provider_room_id = models.CharField(_("room id at the service"), max_length=200, blank=True)
    # Makes whoever opens it the host: only ever handed to the consult's agent, and wiped once deleted.
    host_url = models.TextField(blank=True)
    participant_url = models.TextField(_("room URL"), blank=True)
    expires_at = models.DateTimeField(_("works until"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    ready_at = models.DateTimeField(_("ready at"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("video room")
        verbose_name_plural = _("video rooms")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment"], condition=Q(status__in=LIVE_STATUSES), name="video_room_one_live_per_consult"
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="video_room_status_due"),
            models.Index(fields=["provider", "provider_room_id"], name="video_room_provider_id"),
        ]

    def __str__(self) -> str:
        return f"{self.provider or '-'} {self.provider_room_id or self.public_id}"

    def __repr__(self) -> str:
        return f"<VideoRoom {self.pk} {self.provider}:{self.provider_room_id} {self.status}>"

    @property
    def provider_label(self) -> str:
        return str(providers[self.provider].label) if self.provider in providers else self.provider


EVENT_DESCRIPTIONS = {
    "room.client.joined": _("entered the room"),
    "room.client.left": _("left the room"),
    "room.client.knocked": _("knocked to be let in"),
    "room.client.knockCancelled": _("stopped knocking"),
    "room.session.started": _("the consult began (two or more people in the room)"),
    "room.session.ended": _("the consult ended (fewer than two people in the room)"),
}


class RoomEvent(models.Model):
    """What happened in a room, as the provider reported it by webhook (joined, left, knocked...)."""

    room = models.ForeignKey(VideoRoom, on_delete=models.CASCADE, related_name="events", verbose_name=_("room"))
    # The provider's event id: a webhook delivered twice is recorded once.
    event_id = models.CharField(max_length=200, unique=True)
    type = models.CharField(_("event"), max_length=64)
    occurred_at = models.DateTimeField(_("at"))
    role = models.CharField(_("role"), max_length=32, blank=True)
    display_name = models.CharField(_("name"), max_length=200, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("room event")
        verbose_name_plural = _("room events")
        # Providers may deliver out of order; their own timestamp is the order.
        ordering = ["occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.type} {self.occurred_at:%H:%M:%S}"

    @property
    def description(self) -> str:
        return str(EVENT_DESCRIPTIONS.get(self.type, self.type))
