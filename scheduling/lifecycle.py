"""A consult's life in the video room: who may start it and when, and the only writer of its start and end.

The waiting room asks here before it opens a room (`check_start`), and the pages ask here before they offer
Online consult (`may_start`, through the `may_start` template filter): the same checks, so a button is never
shown that pressing would refuse. The rule reads only the consult's own fields, so a list of consults costs
no query per row.
"""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from . import effects
from .models import Appointment
from .selectors import can_manage


def _refusal(appointment: Appointment, user: User, now: datetime) -> str:
    """The code of the first reason the user may not start the consult now; "" when they may."""
    if appointment.agent_id != user.pk:
        # The host URL makes whoever opens it the host, so it is for the consult's own agent only.
        return "agent"
    if appointment.is_cancelled:
        return "cancelled"
    if now >= appointment.link_expires_at:
        return "expired"
    return ""


def may_start(appointment: Appointment, user: User, now: datetime | None = None) -> bool:
    """Whether the pages offer this user Online consult for this consult now: when starting would succeed,
    and from the consult's day on (in the current time zone, the organisation's on every page), so the lists
    do not offer next week's consults. Starting itself does not refuse an earlier day (it never has): an agent
    may open the room ahead of time, only the button waits for the day."""
    now = now or timezone.now()
    if appointment.ended_at is not None and not appointment.is_active:
        # Ended by the agent: the pages offer nothing more (starting again would re-open it; the service
        # still allows that, as it allows opening the room before the day).
        return False
    return not _refusal(appointment, user, now) and timezone.localdate(appointment.start) <= timezone.localdate(now)


def check_start(*, appointment: Appointment, user: User, now: datetime | None = None) -> None:
    """Raise PermissionDenied for anyone but the consult's agent, and a ValidationError that says why when
    the consult cannot start (cancelled, or its links have expired)."""
    code = _refusal(appointment, user, now or timezone.now())
    if code == "agent":
        raise PermissionDenied(_("Only the consult's agent can start it."))
    if code == "cancelled":
        raise ValidationError(_("This consult has been cancelled."), code=code)
    if code == "expired":
        raise ValidationError(_("The links of this consult have expired, so it can no longer start."), code=code)


def mark_started(*, appointment: Appointment, by: User, now: datetime | None = None) -> None:
    """The consult is in progress from now (its first start is kept); starting again after an end re-opens it."""
    now = now or timezone.now()
    Appointment.objects.filter(pk=appointment.pk, started_at__isnull=True).update(started_at=now, updated_at=now)
    Appointment.objects.filter(pk=appointment.pk, ended_at__isnull=False).update(ended_at=None, updated_at=now)
    # The effects describe the consult as it is now (the webhooks' event says "in progress").
    appointment.refresh_from_db(fields=["started_at", "ended_at", "updated_at"])
    effects.consult_started(actor=by, appointment=appointment)


def check_end(*, appointment: Appointment, user: User) -> None:
    """The consult's agent and whoever may manage it (the team's assistants, admins) may end a consult that
    has started."""
    if appointment.agent_id != user.pk and not can_manage(user=user, appointment=appointment):
        raise PermissionDenied(_("You may not end this consult."))
    if appointment.started_at is None:
        raise ValidationError(_("This consult has not started."), code="not_started")


def mark_ended(
    *, appointment: Appointment, by: User | str, at: datetime | None = None, now: datetime | None = None
) -> bool:
    """The consult ended `at` (now by default). Returns False when it had ended already: nothing is written
    or recorded then, so two pages ending it at once leave one entry in the log."""
    now = now or timezone.now()
    if not Appointment.objects.filter(pk=appointment.pk, ended_at__isnull=True).update(
        ended_at=at or now, updated_at=now
    ):
        return False
    appointment.refresh_from_db(fields=["ended_at", "updated_at"])
    effects.consult_ended(actor=by, appointment=appointment)
    return True
