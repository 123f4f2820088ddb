"""The small pieces of consult markup that every list repeats, drawn in Python.

The overview lists every consult of a team's coming week: about 450 rows at a busy practice. Through the
template engine each row cost two `{% include %}`, a `{% url %}` and some 25 variable lookups, and the
template engine was three quarters of the page's time. The status badge, the series badge and the
Online consult button are written here once and used by the template tags in `templatetags/consults.py`,
so the consult page, the agenda and the waiting room show the same markup the overview's rows do.
"""

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from accounts.models import User

from . import lifecycle
from .models import Appointment

_PLACEHOLDER = uuid.UUID(int=0)


def url_maker(name: str) -> Callable[[uuid.UUID], str]:
    """A function that gives the URL named `name` for a consult's public id: reversed once per list instead
    of once per row (URL reversing was a tenth of the overview's time)."""
    before, _, after = reverse(name, args=[_PLACEHOLDER]).partition(str(_PLACEHOLDER))
    return lambda public_id: f"{before}{public_id}{after}"


def hour_minute(moment: datetime) -> str:
    """`{{ moment|time:"H:i" }}`: the time in the current time zone (the organisation's on every page)."""
    return timezone.localtime(moment).strftime("%H:%M")


def status_badge(appointment: Appointment, now: datetime) -> str:
    """Cancelled, in progress, now or past; nothing for a consult still ahead."""
    if appointment.is_cancelled:
        kind, label = "cancelled", gettext("Cancelled")
    elif appointment.is_active and appointment.end > now:
        kind, label = "active", gettext("In progress")
    elif appointment.start <= now < appointment.end:
        kind, label = "now", gettext("Now")
    elif appointment.end <= now:
        kind, label = "past", gettext("Past")
    else:
        return ""
    return f'<span class="badge badge--{kind}">{escape(label)}</span>'


def series_badge(appointment: Appointment) -> str:
    if not appointment.series_id:
        return ""
    title, label = escape(gettext("Part of a recurring series")), escape(gettext("Series"))
    return f'<span class="series-badge" title="{title}"><span aria-hidden="true">↻</span> {label}</span>'


def time_request_badge(appointment: Appointment) -> str:
    """A client asked for another time and the consult was not changed since."""
    if not getattr(appointment, "asks_other_time", False):
        return ""
    label = escape(gettext("Another time asked"))
    return f'<span class="badge badge--request">{label}</span>'


def start_button(
    appointment: Appointment,
    *,
    csrf_token: str,
    action: str | None = None,
    small: bool = False,
    extra_class: str = "",
    style: str = "",
) -> str:
    """The agent's Online consult button (Back to the consult while the call is on): a form that starts it."""
    action = action or url_maker("waitingroom:start")(appointment.public_id)
    classes = f"startform {escape(extra_class)}" if extra_class else "startform"
    style_attribute = f' style="{escape(style)}"' if style else ""
    csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">' if csrf_token else ""
    label = gettext("Back to the consult") if appointment.is_active else gettext("Online consult")
    size = " button--small" if small else ""
    return (
        f'<form method="post" action="{escape(action)}" class="{classes}"{style_attribute}>{csrf}'
        f'<button class="button button--start{size}" type="submit">{escape(label)}</button></form>'
    )


def consult_rows(appointments: Iterable[Appointment], *, user: User, now: datetime, csrf_token: str) -> SafeString:
    """The overview's `<li>` per consult: time, subject, clients, team and agent, status, and the Online
    consult button when this user may start it now (the rule of `lifecycle.may_start`)."""
    detail_url = url_maker("scheduling:appointment-detail")
    start_url = url_maker("waitingroom:start")
    rows = []
    for appointment in appointments:
        startable = lifecycle.may_start(appointment, user, now)
        classes = "consult"
        if appointment.end <= now:
            classes += " consult--past"
        if startable:
            classes += " consult--startable"
        # Prefetched by selectors.appointments_between (Prefetch to_attr), which the model does not declare.
        participants = appointment.active_participants  # type: ignore[attr-defined]
        people = ", ".join(escape(p.name) for p in participants)
        button = (
            start_button(appointment, csrf_token=csrf_token, action=start_url(appointment.public_id), small=True)
            if startable
            else ""
        )
        rows.append(
            f'<li class="{classes}">'
            f'<a class="consult__link" href="{detail_url(appointment.public_id)}">'
            f'<span class="consult__time">{hour_minute(appointment.start)}'
            f'<span class="muted">–{hour_minute(appointment.end)}</span></span>'  # noqa: RUF001 - a time range
            f'<span class="consult__main">'
            f'<span class="consult__subject">{escape(appointment.subject)}{series_badge(appointment)}</span>'
            f'<span class="consult__people muted">{people}</span></span>'
            f'<span class="consult__agent"><span class="muted small">{escape(appointment.team.name)}</span>'
            f"{escape(appointment.agent.full_name)}</span>"
            f'<span class="consult__status">{time_request_badge(appointment)}{status_badge(appointment, now)}</span>'
            f"</a>{button}</li>"
        )
    # Every value above went through escape(); the rest is our own markup.
    return mark_safe("\n".join(rows))  # noqa: S308
