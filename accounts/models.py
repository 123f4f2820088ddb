import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from .branding import LogoField
from .colours import COLOUR_PATTERN, BrandColours, brand_colours, is_colour
from .validators import validate_one_line


def same_text(text: str) -> str:
    """A text as two are compared: a browser sends a textarea with CRLF and may drop trailing spaces."""
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").strip().split("\n"))


class Language(models.TextChoices):
    DUTCH = "nl", _("Dutch")
    ENGLISH = "en", _("English")


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200, validators=[validate_one_line])
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        choices=_time_zone_choices,
        default=settings.DEFAULT_ORGANISATION_TIME_ZONE,
    )
    default_language = models.CharField(
        _("default language"), max_length=2, choices=Language.choices, default=Language.DUTCH
    )
    logo = LogoField(_("logo"), blank=True)
    primary_colour = models.CharField(
        _("primary colour"),
        max_length=7,
        default="#1f6f78",
        validators=[RegexValidator(COLOUR_PATTERN, _("Enter a colour as #RRGGBB."))],
        help_text=_("Used for buttons and headings, e.g. #1f6f78."),
    )
    sender_name = models.CharField(
        _("sender name"),
        max_length=100,
        blank=True,
        validators=[validate_one_line],
        help_text=_("Shown as the sender of emails and SMS."),
    )
    default_message_nl = models.TextField(
        _("default message (Dutch)"),
        blank=True,
        help_text=_(
            "Pre-filled in the message field of a new booking. Left as it is, Dutch-speaking participants "
            "receive this text and English-speaking ones the English default. No greeting or closing: the "
            "message adds them."
        ),
    )
    default_message_en = models.TextField(
        _("default message (English)"),
        blank=True,
        help_text=_(
            "What English-speaking participants receive when the assistant leaves the default message as it "
            "is; empty sends them no message then."
        ),
    )
    invitation_text_nl = models.TextField(
        _("invitation text (Dutch)"),
        blank=True,
        help_text=_(
            "Replaces the standard introduction of the invitation to Dutch-speaking participants; empty uses "
            "the standard text. No greeting or closing: the message adds them."
        ),
    )
    invitation_text_en = models.TextField(
        _("invitation text (English)"),
        blank=True,
        help_text=_(
            "Replaces the standard introduction of the invitation to English-speaking participants; empty uses "
            "the standard text. No greeting or closing: the message adds them."
        ),
    )
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    require_mfa = models.BooleanField(
        _("require two-factor authentication"),
        default=False,
        help_text=_("Everyone of the organisation sets up an authenticator app at their next login."),
    )
    feed_shows_client_names = models.BooleanField(
        _("clients' names in calendar subscriptions"),
        default=False,
        help_text=_(
            "Agents' calendar subscriptions (Outlook, Google) show the clients' names beside the subject. Off, "
            "they show the subject only: such calendars are often shared or read on private phones."
        ),
    )
    clients_may_change = models.BooleanField(
        _("clients may cancel or ask for another time"),
        default=True,
        help_text=_(
            "From their invitation and their join page, a client may cancel the consult (only when they are its "
            "only client) or ask for another time with a short note; the agent and the team's assistants are "
            "told. Off, clients are asked to contact you."
        ),
    )
    client_change_cutoff_hours = models.PositiveIntegerField(
        _("clients may do so until (hours before the start)"),
        default=24,
        validators=[MaxValueValidator(24 * 30)],
        help_text=_("After this, the client's page gives your contact details instead. 0: until the start."),
    )
    retention_days = models.PositiveIntegerField(
        _("keep clients' personal data for (days)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_(
            "Days after a consult's end before its clients' names, addresses, numbers and messages are erased. "
            "Counts and wait times remain."
        ),
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @cached_property
    def brand_colours(self) -> BrandColours:
        return brand_colours(self.primary_colour)

    def clean(self) -> None:
        # Every main button shows text on this colour: refuse one that neither white nor dark text can be
        # read on (WCAG's 4.5:1). The field's own validator has already spoken about a malformed value.
        if not is_colour(self.primary_colour or ""):
            return
        colours = brand_colours(self.primary_colour)
        if not colours.readable:
            raise ValidationError(
                {
                    "primary_colour": _(
                        "Text cannot be read on this colour: white text reaches %(white)s:1 and dark text "
                        "%(dark)s:1, and buttons need 4.5:1. Choose a darker or a lighter shade."
                    )
                    % {"white": f"{colours.white_contrast:.2f}", "dark": f"{colours.dark_contrast:.2f}"}
                },
                code="unreadable_colour",
            )

    def client_change_deadline(self, start: datetime) -> datetime:
        """Until when a client may cancel a consult starting at `start` or ask for another time."""
        return start - timedelta(hours=self.client_change_cutoff_hours)

    @property
    def display_sender(self) -> str:
        return self.sender_name or self.name

    def invitation_text(self, language: str) -> str:
        return self.invitation_text_en if language == Language.ENGLISH else self.invitation_text_nl

    def default_message_for(self, language: str) -> str:
        return self.default_message_en if language == Language.ENGLISH else self.default_message_nl

    @property
    def default_messages(self) -> dict[str, str]:
        """The default message per language code, for each language that has one."""
        texts = {code: self.default_message_for(code) for code in Language.values}
        return {code: text for code, text in texts.items() if text.strip()}

    def is_default_message(self, text: str) -> bool:
        """Whether a booking's message is one of the default messages, left as pre-filled."""
        return same_text(text) in {same_text(default) for default in self.default_messages.values()}


class Team(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="teams", verbose_name=_("organisation")
    )
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="team_unique_name_per_organisation")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # The unique constraint names the organisation, which the admin's form does not show, so Django's
        # own unique check skips it; without this the save would end in a database error.
        twins = Team.objects.filter(organisation_id=self.organisation_id, name__iexact=self.name).exclude(pk=self.pk)
        if self.organisation_id and twins.exists():
            raise ValidationError({"name": _("The organisation already has a team with this name.")})


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> "User":
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> "User":
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str) -> "User":
        # Email addresses are stored lower-case, so login is not case-sensitive.
        return self.get(**{self.model.USERNAME_FIELD: username.lower()})


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("organisation"),
        help_text=_("Empty only for platform superusers."),
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.DUTCH)
    is_active = models.BooleanField(_("active"), default=True)
    require_mfa = models.BooleanField(
        _("require two-factor authentication"),
        default=False,
        help_text=_("This user sets up an authenticator app at their next login, whatever the organisation asks."),
    )
    is_staff = models.BooleanField(
        _("platform staff"), default=False, help_text=_("Platform operators only; organisation admins need no flag.")
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @cached_property
    def roles(self) -> "Roles":
        """The user's memberships, read once per request."""
        return Roles(list(self.memberships.select_related("team")))

    @property
    def is_organisation_admin(self) -> bool:
        return self.organisation_id is not None and self.roles.is_admin


class Role(models.TextChoices):
    ASSISTANT = "assistant", _("Assistant")
    AGENT = "agent", _("Agent")
    ADMIN = "admin", _("Organisation admin")


class Membership(models.Model):
    """What a user does: assistant or agent in a team, or admin of the whole organisation.

    Admin is organisation-wide, so an admin membership has no team; the other roles always have one.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships", verbose_name=_("team")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "team", "role"], condition=Q(team__isnull=False), name="membership_unique_team_role"
            ),
            models.UniqueConstraint(fields=["user"], condition=Q(role="admin"), name="membership_unique_admin"),
            models.CheckConstraint(
                condition=(Q(role="admin") & Q(team__isnull=True)) | (~Q(role="admin") & Q(team__isnull=False)),
                name="membership_team_iff_not_admin",
            ),
        ]

    def __str__(self) -> str:
        if self.team_id is None:
            return f"{self.user} · {self.get_role_display()}"
        return f"{self.user} · {self.get_role_display()} · {self.team}"

    def clean(self) -> None:
        if self.role == Role.ADMIN and self.team_id is not None:
            raise ValidationError({"team": _("An organisation admin is admin of every team; leave the team empty.")})
        if self.role != Role.ADMIN and self.team_id is None:
            raise ValidationError({"team": _("Assistants and agents belong to a team.")})
        if (
            self.team_id is not None
            and self.user_id is not None
            and self.team.organisation_id != self.user.organisation_id
        ):
            raise ValidationError({"team": _("The team belongs to another organisation than the user.")})


class Roles:
    """Answers 'what may this user do where' from their memberships, without further queries."""

    def __init__(self, memberships: list[Membership]) -> None:
        self._memberships = memberships

    @property
    def is_admin(self) -> bool:
        return any(m.role == Role.ADMIN for m in self._memberships)

    def team_ids(self, role: str) -> set[int]:
        return {m.team_id for m in self._memberships if m.role == role and m.team_id is not None}

    @property
    def is_assistant(self) -> bool:
        return self.is_admin or bool(self.team_ids(Role.ASSISTANT))

    @property
    def is_agent(self) -> bool:
        return bool(self.team_ids(Role.AGENT))
