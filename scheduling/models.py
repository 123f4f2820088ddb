import secrets
import uuid
import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Language, Organisation, Team

from .phones import display_phone

# A join link never stops working before this long after the start, however short the consult.
MINIMUM_LINK_LIFETIME = timedelta(hours=1)


def link_expiry(start: datetime, end: datetime) -> datetime:
    """When a join link stops working: the end, but never earlier than one hour after the start.

    12:00-12:15 gives 13:00; 12:00-13:30 gives 13:30. The consult itself is not cut off then.
    """
    return max(end, start + MINIMUM_LINK_LIFETIME)


def new_calendar_uid() -> str:
    return f"{uuid.uuid4()}@videoconsult"


def new_join_token() -> str:
    # 16 random bytes: the 128 bits the design asks for, in 22 characters, so that an SMS with the link
    # fits one segment. Tokens of earlier bookings are longer and keep working.
    return secrets.token_urlsafe(16)


class Status(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CANCELLED = "cancelled", _("Cancelled")


class AppointmentQuerySet(models.QuerySet["Appointment"]):
    def scheduled(self) -> "AppointmentQuerySet":
        return self.filter(status=Status.SCHEDULED)

    def overlapping(self, start: datetime, end: datetime) -> "AppointmentQuerySet":
        # No consult lasts longer than the maximum duration, so a lower bound on `start` is exact and
        # turns a scan of every earlier consult into an index range.
        earliest = start - timedelta(hours=settings.APPOINTMENT_MAX_DURATION_HOURS)
        return self.filter(start__lt=end, start__gt=earliest, end__gt=start)


class Series(models.Model):
    """Consults booked together with one repeat rule. Each occurrence is an appointment of its own (own
    links, reminders, changes); calendars see one series with this UID."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="series", verbose_name=_("organisation")
    )
    # RFC 5545 RRULE value (FREQ=WEEKLY;INTERVAL=1;COUNT=10), read in `time_zone` from `first_start`.
    rrule = models.CharField(_("repeat rule"), max_length=300)
    # RFC 5545 EXDATE value (20270109T100000,...) in `time_zone`: sessions of the rule left out at booking
    # (a weekend day or holiday). They count towards the rule's COUNT, as in RFC 5545.
    exdate = models.TextField(_("dates left out"), blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64)
    first_start = models.DateTimeField(_("first start"))
    calendar_uid = models.CharField(_("calendar UID"), max_length=255, unique=True, default=new_calendar_uid)
    sequence = models.PositiveIntegerField(_("sequence"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("series")
        verbose_name_plural = _("series")

    def __str__(self) -> str:
        return f"{self.rrule} ({timezone.localtime(self.first_start):%Y-%m-%d %H:%M})"

    @property
    def left_out_starts(self) -> list[datetime]:
        """The starts of the sessions left out at booking, as aware datetimes."""
        tz = zoneinfo.ZoneInfo(self.time_zone)
        return [
            datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=tz) for value in self.exdate.split(",") if value
        ]


class Appointment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("organisation")
    )
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("team"))
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consults", verbose_name=_("agent")
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="booked_appointments",
        verbose_name=_("booked by"),
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    subject = models.CharField(_("subject"), max_length=200)
    message = models.TextField(_("message"), max_length=2000)
    # The assistant left the organisation's default message as it was: each participant then receives the
    # default in their own language instead of the text above.
    uses_default_message = models.BooleanField(_("organisation's default message"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    # One UID for the consult's whole life, so calendars update the event instead of adding one.
    calendar_uid = models.CharField(_("calendar UID"), max_length=255, unique=True, default=new_calendar_uid)
    # Rises with every change (iCalendar SEQUENCE); also guards against two people saving at once.
    sequence = models.PositiveIntegerField(_("sequence"), default=0)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    # A client who cancelled through their own link (then cancelled_by is empty).
    cancelled_by_participant = models.ForeignKey(
        "Participant",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by the client"),
    )
    series = models.ForeignKey(
        Series, on_delete=models.PROTECT, null=True, blank=True, related_name="occurrences", verbose_name=_("series")
    )
    # The occurrence's start as the series first planned it: its RECURRENCE-ID, kept when it is moved.
    recurrence_id = models.DateTimeField(_("recurrence id"), null=True, blank=True)
    # The consult in the video room: set when the agent presses Online consult, and when it ends.
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["start", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="appointment_end_after_start"),
            models.CheckConstraint(
                condition=Q(status=Status.CANCELLED, cancelled_at__isnull=False)
                | Q(status=Status.SCHEDULED, cancelled_at__isnull=True),
                name="appointment_cancelled_at_iff_cancelled",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "start"], name="appointment_org_start"),
            models.Index(fields=["agent", "start"], name="appointment_agent_start"),
            models.Index(fields=["team", "start"], name="appointment_team_start"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({timezone.localtime(self.start):%Y-%m-%d %H:%M})"

    @property
    def link_expires_at(self) -> datetime:
        return link_expiry(self.start, self.end)

    def message_for(self, language: str) -> str:
        """The message a participant who reads this language receives."""
        if self.uses_default_message:
            return self.organisation.default_message_for(language)
        return self.message

    @property
    def is_cancelled(self) -> bool:
        return self.status == Status.CANCELLED

    @property
    def is_active(self) -> bool:
        """The agent has started the consult and not ended it."""
        return self.started_at is not None and self.ended_at is None


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    # Not "Copy link": shown as a badge on the consult page, that read like a button.
    LINK = "link", _("Link to share yourself")


class ParticipantQuerySet(models.QuerySet["Participant"]):
    def active(self) -> "ParticipantQuerySet":
        return self.filter(removed_at__isnull=True)


class Participant(models.Model):
    """A client invited to a consult. Removing one from a consult keeps the row so its link can be refused."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="participants", verbose_name=_("appointment")
    )
    name = models.CharField(_("name"), max_length=200)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.DUTCH)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    email = models.EmailField(_("email address"), blank=True)
    phone = models.CharField(_("mobile number"), max_length=20, blank=True, help_text=_("E.164, e.g. +31612345678"))
    token = models.CharField(max_length=64, unique=True, default=new_join_token, editable=False)
    position = models.PositiveSmallIntegerField(default=0)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    # Name, address and number were erased (retention period passed, or the person asked); the row stays
    # for the figures (counts, wait times).
    erased_at = models.DateTimeField(_("personal data erased at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(channel=Channel.EMAIL) | ~Q(email="") | Q(erased_at__isnull=False),
                name="participant_email_channel_has_email",
            ),
            models.CheckConstraint(
                condition=~Q(channel=Channel.SMS) | Q(phone__startswith="+") | Q(erased_at__isnull=False),
                name="participant_sms_channel_has_phone",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def join_url(self) -> str:
        return settings.SITE_URL + reverse("waitingroom:join", kwargs={"token": self.token})

    @property
    def self_service_url(self) -> str:
        """The client's page for cancelling or asking for another time, by the same token."""
        return settings.SITE_URL + reverse("waitingroom:self-service", kwargs={"token": self.token})

    @property
    def short_join_url(self) -> str:
        """The same link in fewer characters, for SMS: it leads to join_url."""
        return settings.SITE_URL + reverse("waitingroom:short-join", kwargs={"token": self.token})

    @property
    def phone_display(self) -> str:
        return display_phone(self.phone)

    @property
    def contact(self) -> str:
        if self.channel == Channel.EMAIL:
            return self.email
        if self.channel == Channel.SMS:
            return self.phone
        return self.email or self.phone


class TimeRequestQuerySet(models.QuerySet["TimeRequest"]):
    def open(self) -> "TimeRequestQuerySet":
        return self.filter(closed_at__isnull=True)


class TimeRequest(models.Model):
    """A client asked for another time through their own link. Open until the consult is changed or
    cancelled; one open request per participant (asking again replaces the note)."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="time_requests", verbose_name=_("appointment")
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="time_requests", verbose_name=_("participant")
    )
    note = models.TextField(_("note"), max_length=500)
    asked_at = models.DateTimeField(_("asked at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = TimeRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("request for another time")
        verbose_name_plural = _("requests for another time")
        ordering = ["asked_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant"], condition=Q(closed_at__isnull=True), name="time_request_one_open"
            ),
        ]
        indexes = [models.Index(fields=["appointment", "closed_at"], name="time_request_appointment")]

    def __str__(self) -> str:
        return f"{self.participant} ({self.asked_at:%Y-%m-%d %H:%M})"
