"""The consult's state in the video room: started by its agent, ended later (the waiting room's issue)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from scheduling.models import Appointment
from videoproviders.services import room_for_start


def start_consult(*, appointment: Appointment, user: User) -> str:
    """Open the consult's video room for its agent: make the room if needed, mark the consult active,
    and return the host URL to send the agent to.

    Raises videoproviders.base.VideoProviderError when the room cannot be had; nothing is marked then.
    """
    if appointment.agent_id != user.pk:
        # The host URL makes whoever opens it the host, so it is for the consult's own agent only.
        raise PermissionDenied("Only the consult's agent may start it.")
    if appointment.is_cancelled:
        raise ValidationError(_("This consult has been cancelled."), code="cancelled")
    if timezone.now() >= appointment.link_expires_at:
        raise ValidationError(_("The links of this consult have expired, so it can no longer start."), code="expired")
    room = room_for_start(appointment=appointment)
    now = timezone.now()
    Appointment.objects.filter(pk=appointment.pk, started_at__isnull=True).update(started_at=now, updated_at=now)
    # Starting again after an end re-opens the consult.
    Appointment.objects.filter(pk=appointment.pk, ended_at__isnull=False).update(ended_at=None, updated_at=now)
    return room.host_url
