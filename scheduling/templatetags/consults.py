"""Template tags about consults. `{% if appointment|may_start:user %}` offers Online consult by the very rule
the start service enforces (scheduling.lifecycle), so no page keeps its own copy of it; the badges, the
button and the overview's rows come from `scheduling.rendering`, one markup for every page."""

from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from accounts.models import User
from scheduling import lifecycle, rendering
from scheduling.models import Appointment

register = template.Library()


@register.filter
def may_start(appointment: Appointment, user: User) -> bool:
    return lifecycle.may_start(appointment, user)


def _now(context: template.Context) -> Any:
    return context.get("now") or timezone.now()


@register.simple_tag(takes_context=True)
def status_badge(context: template.Context, appointment: Appointment) -> SafeString:
    return mark_safe(rendering.status_badge(appointment, _now(context)))  # noqa: S308 - escaped in rendering


@register.simple_tag
def series_badge(appointment: Appointment) -> SafeString:
    return mark_safe(rendering.series_badge(appointment))  # noqa: S308 - escaped in rendering


@register.simple_tag
def time_request_badge(appointment: Appointment) -> SafeString:
    return mark_safe(rendering.time_request_badge(appointment))  # noqa: S308 - escaped in rendering


@register.simple_tag(takes_context=True)
def start_button(
    context: template.Context, appointment: Appointment, small: bool = False, extra_class: str = "", style: str = ""
) -> SafeString:
    button = rendering.start_button(
        appointment, csrf_token=str(context.get("csrf_token") or ""), small=small, extra_class=extra_class, style=style
    )
    return mark_safe(button)  # noqa: S308 - escaped in rendering


@register.simple_tag(takes_context=True)
def consult_rows(context: template.Context, appointments: list[Appointment]) -> SafeString:
    return rendering.consult_rows(
        appointments, user=context["user"], now=_now(context), csrf_token=str(context.get("csrf_token") or "")
    )
