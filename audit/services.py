"""Writing the audit log. Called by the services that do the things it records, inside their transaction,
so an action and its record are saved together or not at all."""

from collections.abc import Iterable

from django.db import models
from django.http import HttpRequest
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from accounts.models import User
from scheduling.models import Appointment, Participant

from .context import current_address, current_channel
from .models import Action, AuditEvent

# Who did it: a signed-in user, or the name of a job or process ("Retention job"), or nobody known.
Actor = User | str | None


def record(
    *,
    action: str,
    actor: Actor,
    summary: str,
    organisation_id: int | None,
    obj: models.Model | None = None,
    changes: Iterable[str] | str = (),
) -> AuditEvent:
    """Append one event; the address is that of the request being handled, if any, and the summary says
    through which API key the actor acted, if they did."""
    channel = current_channel.get()
    if channel:
        summary = f"{summary} · {channel}"
    return AuditEvent.objects.create(
        organisation_id=organisation_id,
        actor=actor if isinstance(actor, User) and actor.pk else None,
        actor_name=_name(actor),
        ip_address=current_address.get(),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(getattr(obj, "public_id", None) or getattr(obj, "pk", "") or "") if obj is not None else "",
        summary=summary[:500],
        changes=changes if isinstance(changes, str) else ",".join(changes),
    )


def _name(actor: Actor) -> str:
    if actor is None:
        return ""
    if isinstance(actor, str):
        return actor
    return f"{actor.full_name} <{actor.email}>"


def client_actor(participant: Participant) -> str:
    """A client who acted through their own link, named as the log names consults: without personal data, by
    their place among the consult's clients, in the organisation's language."""
    with translation.override(participant.appointment.organisation.default_language):
        return gettext("Client %(number)d (own link)") % {"number": participant.position + 1}


def consult_summary(appointment: Appointment) -> str:
    """The consult without its clients: subject, time and agent."""
    start = timezone.localtime(appointment.start, appointment.organisation.tzinfo)
    when = formats.date_format(start, "Y-m-d H:i")
    return f"{appointment.subject} · {when} · {appointment.agent.full_name}"


def record_consults(
    *, action: str, actor: Actor, appointments: Iterable[Appointment], changes: Iterable[str] = ()
) -> None:
    """One event for a change to one consult or to several sessions of a series at once."""
    appointments = list(appointments)
    if not appointments:
        return
    first = appointments[0]
    summary = consult_summary(first)
    if len(appointments) > 1:
        summary += f" (+{len(appointments) - 1})"
    record(
        action=action, actor=actor, summary=summary, organisation_id=first.organisation_id, obj=first, changes=changes
    )


def record_admin(*, request: HttpRequest, action: str, obj: models.Model, message: str = "") -> AuditEvent:
    """A change made in the admin to a setting, a user or an account (message: the admin's change message)."""
    # The admin site lets in only signed-in staff.
    user = request.user
    assert isinstance(user, User)
    organisation_id = getattr(obj, "organisation_id", None)
    if obj._meta.label_lower == "accounts.organisation":
        organisation_id = obj.pk
    return record(
        action=action,
        actor=user,
        summary=f"{obj._meta.verbose_name}: {obj}",
        organisation_id=organisation_id or user.organisation_id,
        obj=obj,
        changes=message if isinstance(message, str) else "",
    )


__all__ = ["Action", "client_actor", "consult_summary", "record", "record_admin", "record_consults"]
