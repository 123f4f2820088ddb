"""The waiting list as the agent's and the assistants' pages show it: the day's consults in time order, each
client's state (not there, waiting or knocking, in the video room, taken out of the call), and who is
waiting, so that the page rings for arrivals. Shown on the waiting room page and beside a built-in call."""

from django.http import HttpRequest
from django.utils import timezone

from scheduling.selectors import can_manage
from scheduling.views.overview import OverviewFilter

from .calls import peer_id
from .selectors import waiting_room
from .services import is_waiting


def waiting_list_context(request: HttpRequest) -> dict:
    filters = OverviewFilter(request.GET, user=request.user)
    now = timezone.now()
    appointments = waiting_room(
        user=request.user,
        day=timezone.localdate(),
        team_id=filters.value("team"),
        agent_id=filters.value("agent"),
    )
    waiting_ids = []
    for appointment in appointments:
        appointment.can_manage = can_manage(user=request.user, appointment=appointment)
        leads = appointment.agent_id == request.user.pk
        for participant in appointment.active_participants:
            presence = getattr(participant, "presence", None)
            participant.removed = bool(appointment.is_active and presence and presence.removed_at)
            # Sent into the room: no longer waiting, even while the old page still checks in.
            participant.in_room = bool(appointment.is_active and presence and presence.admitted_at)
            participant.waiting = not participant.in_room and not participant.removed and is_waiting(presence, now)
            participant.waiting_since = presence.arrived_at if participant.waiting else None
            # Waiting while the consult runs is knocking: its agent lets them in from here or the call.
            participant.knocking = participant.waiting and appointment.is_active
            participant.peer = peer_id(participant) if participant.knocking and leads else ""
            if participant.waiting:
                waiting_ids.append(participant.pk)
    return {"filters": filters, "appointments": appointments, "now": now, "waiting_ids": waiting_ids}
