"""Which account an agent's rooms are made with, and why an agent cannot start a consult."""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from accounts.models import Role, User
from scheduling.models import Appointment

from .base import Account
from .models import LIVE_STATUSES, AgentVideoAccount, RoomEvent, ServiceAccount, VideoRoom
from .registry import providers


@dataclass(frozen=True)
class ResolvedAccount:
    account: Account | None
    service_account_id: int | None = None
    # Why no room can be made, in words for the agent; None when the account is usable.
    problem: str | None = None

    @property
    def key(self) -> str:
        """Identifies the account a room was made with; a different key means a new room."""
        if self.account is None:
            return ""
        return f"{self.account.provider}:{self.service_account_id or ''}:{self.account.room_url}"


def resolve_account(*, agent: User) -> ResolvedAccount:
    """The agent's own video account, or else the site's default provider."""
    try:
        own = agent.video_account
    except AgentVideoAccount.DoesNotExist:
        own = None
    alias = own.provider if own is not None else settings.VIDEO_DEFAULT_PROVIDER
    room_url = own.room_url if own is not None else ""
    if not alias:
        return ResolvedAccount(None, problem=_("no video account is linked to you"))
    if alias not in providers:
        return ResolvedAccount(None, problem=_("your video service (%(name)s) is not available here") % {"name": alias})
    provider = providers[alias]
    service = (
        ServiceAccount.objects.filter(organisation_id=agent.organisation_id, provider=alias).first()
        if agent.organisation_id
        else None
    )
    if provider.needs_service_account and service is None:
        return ResolvedAccount(
            None, problem=_("your organisation has no %(service)s account") % {"service": provider.label}
        )
    account = _account(alias, service, room_url)
    return ResolvedAccount(account, service.pk if service else None, provider.account_problem(account))


def account_for_room(*, room: VideoRoom) -> Account:
    """The credentials a room was made with, to delete it or to give out participant URLs."""
    return _account(room.provider, room.service_account, room.participant_url)


def _account(provider: str, service: ServiceAccount | None, room_url: str) -> Account:
    if service is None:
        return Account(provider=provider, room_url=room_url)
    return Account(
        provider=provider,
        server_url=service.server_url,
        account_id=service.account_id,
        secret=service.secret,
        webhook_secret=service.webhook_secret,
        room_url=room_url,
    )


def organisation_admins(*, organisation_id: int) -> list[User]:
    """Who can fix an agent's video account: the organisation's admins."""
    return list(
        User.objects.filter(organisation_id=organisation_id, is_active=True, memberships__role=Role.ADMIN).order_by(
            "full_name"
        )
    )


def live_room(*, appointment_id: int) -> VideoRoom | None:
    return VideoRoom.objects.filter(appointment_id=appointment_id, status__in=LIVE_STATUSES).first()


def room_events(*, appointment_id: int) -> list[RoomEvent]:
    return list(RoomEvent.objects.filter(room__appointment_id=appointment_id).order_by("occurred_at", "pk")[:200])


def who_can_fix(*, organisation_id: int | None) -> str:
    """The organisation's admins by name and email, for messages that say who can fix an account."""
    # A user outside any organisation (a superuser) has no admins of its own.
    admins = organisation_admins(organisation_id=organisation_id) if organisation_id is not None else []
    if not admins:
        return _("Your organisation's admin")
    return ", ".join(f"{admin.full_name} ({admin.email})" for admin in admins[:3])


def agent_video_problem(*, user: User) -> str | None:
    """For an agent whose video account cannot make rooms: why, and who can fix it. None otherwise."""
    if not user.roles.is_agent:
        return None
    problem = resolve_account(agent=user).problem
    if problem is None:
        return None
    return _("Online consults are not possible for you yet: %(problem)s. %(who)s can set this up in the admin.") % {
        "problem": problem,
        "who": who_can_fix(organisation_id=user.organisation_id),
    }


def happens_in_page(*, appointment: Appointment) -> bool:
    """Whether the consult's video call takes place on our own pages (built-in rooms): by its room, or,
    before the room is made, by the agent's video account."""
    room = live_room(appointment_id=appointment.pk)
    alias = (
        room.provider
        if room is not None
        else (resolve_account(agent=appointment.agent).account or Account("")).provider
    )
    return alias in providers and providers[alias].in_page


def people_limit(*, agent: User) -> int | None:
    """The most people (agent included) the agent's video rooms hold; None for no limit of ours."""
    account = resolve_account(agent=agent).account
    if account is None or account.provider not in providers:
        return None
    return providers[account.provider].max_people


def smallest_room() -> int:
    """The fewest people any configured provider's rooms hold (a booking's quick check)."""
    limits = [providers[alias].max_people for alias in settings.VIDEO_PROVIDERS]
    return min((limit for limit in limits if limit is not None), default=10**6)
