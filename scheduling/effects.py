"""What follows a change to consults, in one place and one fixed order.

A booking, a change or a cancellation of one consult or of several sessions of a series has the same four
effects, always in this order and always inside the service's transaction (so they are saved with the
change or not at all):

1. messages and reminders are planned in the outbox (notifications),
2. video rooms are planned, made anew or retired (videoproviders),
3. the audit log gets one entry (audit),
4. the waiting rooms and clients' pages that show these consults hear of it once the change commits
   (waitingroom.events),
5. the organisation's webhook endpoints get an event per consult, sent once the change commits (webhooks).

The services in scheduling.services (one consult) and scheduling.series (several sessions) decide what
changed and call one of the functions below; no signals, so the flow reads from the service down. A client's
own cancellation or request for another time (scheduling.selfservice) comes here too. A change or a
cancellation also answers the clients' open requests for another time (scheduling.time_requests), first.
"""

from django.utils import timezone

from accounts.models import User
from audit.services import Action, client_actor, record_consults
from notifications.models import ReminderRule
from notifications.notices import announce_client_cancellation, announce_time_request
from notifications.series import announce_series, announce_series_cancellation, announce_series_change
from notifications.services import announce_booking, announce_cancellation, announce_update
from videoproviders.services import plan_room, plan_rooms, replan_room, retire_rooms
from waitingroom.events import announce_all
from webhooks.models import EventType
from webhooks.services import announce_consults

from .models import Appointment, Participant, Series, TimeRequest
from .time_requests import close_time_requests
from .values import ConsultChange


def consult_booked(*, actor: User, appointment: Appointment, participants: list[Participant]) -> None:
    announce_booking(appointment=appointment, participants=participants)
    plan_room(appointment=appointment)
    record_consults(action=Action.CONSULT_BOOKED, actor=actor, appointments=[appointment])
    announce_all([appointment], "changed")
    announce_consults(event_type=EventType.CONSULT_BOOKED, appointments=[appointment])


def series_booked(
    *,
    actor: User,
    series: Series,
    appointments: list[Appointment],
    participants: list[Participant],
    rules: list[ReminderRule],
) -> None:
    announce_series(series=series, appointments=appointments, participants=participants, rules=rules)
    plan_rooms(appointments=appointments)
    record_consults(action=Action.SERIES_BOOKED, actor=actor, appointments=appointments)
    announce_all(appointments, "changed")
    announce_consults(event_type=EventType.CONSULT_BOOKED, appointments=appointments)


def consult_changed(*, actor: User, change: ConsultChange, previous_agent: User) -> None:
    """`change` is news (something changed); `previous_agent` is the agent before it."""
    appointment, participants = change.appointment, change.participants
    close_time_requests(appointments=[appointment], now=timezone.now())
    announce_update(
        appointment=appointment,
        previous_agent=previous_agent,
        kept=participants.kept,
        added=participants.added,
        removed=participants.removed,
    )
    if change.needs_new_room:
        replan_room(appointment=appointment)
    record_consults(
        action=Action.CONSULT_REASSIGNED if change.agent_changed else Action.CONSULT_CHANGED,
        actor=actor,
        appointments=[appointment],
        changes=change.changed_fields(),
    )
    # A consult moved to another team is gone from the old team's waiting room.
    announce_all([appointment], "changed", former_team_ids=[change.before.team_id])
    announce_consults(event_type=EventType.CONSULT_CHANGED, appointments=[appointment])


def sessions_changed(*, actor: User, changes: list[ConsultChange], previous_agent: User) -> None:
    """Several sessions of a series changed at once, the first of them first: one message per person (the
    first session's participants stand for each position), every session's reminders and rooms anew."""
    anchor = changes[0]
    sessions = [change.appointment for change in changes]
    close_time_requests(appointments=sessions, now=timezone.now())
    announce_series_change(
        anchor=anchor.appointment,
        targets=sessions,
        previous_agent=previous_agent,
        kept=anchor.participants.kept,
        added=anchor.participants.added,
        removed=anchor.participants.removed,
        participants={change.appointment.pk: change.participants.current for change in changes},
    )
    replanned = [change.appointment for change in changes if change.needs_new_room]
    for appointment in replanned:
        retire_rooms(appointment=appointment)
    # Each new room is made shortly before its session.
    plan_rooms(appointments=replanned)
    record_consults(
        action=Action.CONSULT_REASSIGNED if anchor.agent_changed else Action.CONSULT_CHANGED,
        actor=actor,
        appointments=sessions,
        changes=anchor.changed_fields(participants_changed=any(change.participants.changed for change in changes)),
    )
    announce_all(sessions, "changed", former_team_ids=[change.before.team_id for change in changes])
    announce_consults(event_type=EventType.CONSULT_CHANGED, appointments=sessions)


def consult_cancelled(*, actor: User, appointment: Appointment) -> None:
    close_time_requests(appointments=[appointment], now=timezone.now())
    announce_cancellation(appointment=appointment)
    retire_rooms(appointment=appointment)
    record_consults(action=Action.CONSULT_CANCELLED, actor=actor, appointments=[appointment])
    announce_all([appointment], "cancelled")
    announce_consults(event_type=EventType.CONSULT_CANCELLED, appointments=[appointment])


def sessions_cancelled(*, actor: User, appointments: list[Appointment]) -> None:
    """Several sessions of a series cancelled at once, in time order: one cancellation per person."""
    close_time_requests(appointments=appointments, now=timezone.now())
    announce_series_cancellation(anchor=appointments[0], targets=appointments)
    for appointment in appointments:
        retire_rooms(appointment=appointment)
    record_consults(action=Action.CONSULT_CANCELLED, actor=actor, appointments=appointments)
    announce_all(appointments, "cancelled")
    announce_consults(event_type=EventType.CONSULT_CANCELLED, appointments=appointments)


def consult_cancelled_by_client(*, participant: Participant, appointment: Appointment) -> None:
    """A client cancelled through their link: the same as a staff cancellation for everyone, and a notice to
    the agent and the team's assistants that the client did."""
    close_time_requests(appointments=[appointment], now=timezone.now())
    announce_cancellation(appointment=appointment)
    announce_client_cancellation(appointment=appointment, participant=participant)
    retire_rooms(appointment=appointment)
    record_consults(action=Action.CLIENT_CANCELLED, actor=client_actor(participant), appointments=[appointment])
    announce_all([appointment], "cancelled")


def time_requested(*, request: TimeRequest) -> None:
    """A client asked for another time: the consult stays; the agent and the team's assistants are told.
    Nothing changes for the pages that show the consult live, so no event."""
    announce_time_request(request=request)
    record_consults(
        action=Action.TIME_REQUESTED, actor=client_actor(request.participant), appointments=[request.appointment]
    )


# Starting and ending a consult (scheduling.lifecycle) change no message, reminder or room: only the audit
# entry and the webhooks' event follow here. The live events are the waiting room's, which says different
# things to the pages depending on how the consult started or ended.
def consult_started(*, actor: User, appointment: Appointment) -> None:
    record_consults(action=Action.CONSULT_STARTED, actor=actor, appointments=[appointment])
    announce_consults(event_type=EventType.CONSULT_STARTED, appointments=[appointment])


def consult_ended(*, actor: User | str, appointment: Appointment) -> None:
    record_consults(action=Action.CONSULT_ENDED, actor=actor, appointments=[appointment])
    announce_consults(event_type=EventType.CONSULT_ENDED, appointments=[appointment])
