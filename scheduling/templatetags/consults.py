"""Template filters about consults: `{% if appointment|may_start:user %}` offers Online consult by the very
rule the start service enforces (scheduling.lifecycle), so no page keeps its own copy of it."""

from django import template

from accounts.models import User
from scheduling import lifecycle
from scheduling.models import Appointment

register = template.Library()


@register.filter
def may_start(appointment: Appointment, user: User) -> bool:
    return lifecycle.may_start(appointment, user)
