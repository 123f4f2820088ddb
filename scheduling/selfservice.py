"""A client's own changes through their personal link: cancelling the consult, or asking for another time
with a short note, until the organisation's cut-off before the start.

Who may cancel: a client who is the consult's only client. With several clients the consult is theirs
together, so one of them may only ask for another time and the agent or an assistant decides. A session of a
series is cancelled on its own; the rest of the series stays. The waiting room's pages check the link (an
unknown, removed, expired or cancelled one is refused there); these services check the rest again inside
their transaction, so a page that was open too long cannot get past the cut-off.
"""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from . import effects
from .models import Appointment, Participant, TimeRequest
from .services import mark_cancelled
from .time_requests import save_time_request

NOTE_MAX_LENGTH = 500


@dataclass(frozen=True)
class SelfService:
    """What the client's page offers now."""

    appointment: Appointment
    # The organisation lets clients cancel or ask for another time at all.
    enabled: bool
    # Until when they may.
    deadline: datetime
    # The consult is still planned and the deadline not passed.
    is_open: bool
    # The client is the consult's only client (only such a client may cancel it).
    only_client: bool
    # The client's own request for another time that is still open, if any.
    request: TimeRequest | None

    @property
    def may_cancel(self) -> bool:
        return self.is_open and self.only_client

    @property
    def may_ask(self) -> bool:
        return self.is_open


def self_service_for(*, participant: Participant, now: datetime | None = None) -> SelfService:
    """What this client may do now (3 queries)."""
    now = now or timezone.now()
    appointment = participant.appointment
    organisation = appointment.organisation
    deadline = organisation.client_change_deadline(appointment.start)
    enabled = organisation.clients_may_change
    planned = not appointment.is_cancelled and appointment.started_at is None and participant.removed_at is None
    return SelfService(
        appointment=appointment,
        enabled=enabled,
        deadline=deadline,
        is_open=enabled and planned and now < deadline,
        only_client=not Participant.objects.active()
        .filter(appointment=appointment)
        .exclude(pk=participant.pk)
        .exists(),
        request=TimeRequest.objects.open().filter(participant=participant).first(),
    )


def _refusal(state: SelfService) -> ValidationError | None:
    """Why the client may not change the consult now, in their words; None when they may."""
    if state.appointment.is_cancelled:
        return ValidationError(_("This consult has already been cancelled."), code="cancelled")
    if not state.enabled:
        return ValidationError(_("Please contact us to cancel or change this consult."), code="disabled")
    if not state.is_open:
        deadline = timezone.localtime(state.deadline, state.appointment.organisation.tzinfo)
        return ValidationError(
            _("This was possible until %(deadline)s. Please contact us.")
            % {"deadline": formats.date_format(deadline, "l j F H:i")},
            code="too_late",
        )
    return None


def _locked(participant: Participant) -> Participant:
    """The participant and its consult read again under a lock: a staff change or cancellation that commits
    meanwhile is seen, not overwritten."""
    Appointment.objects.select_for_update().filter(pk=participant.appointment_id).first()
    return Participant.objects.select_related("appointment__organisation", "appointment__agent").get(pk=participant.pk)


@transaction.atomic
def cancel_by_client(*, participant: Participant) -> Appointment:
    """The client cancels the consult for everyone, as a staff cancellation does (everyone gets a
    cancellation with the calendar's CANCEL); the agent and the team's assistants are told who did."""
    participant = _locked(participant)
    state = self_service_for(participant=participant)
    refusal = _refusal(state)
    if refusal is not None:
        raise refusal
    if not state.only_client:
        raise ValidationError(
            _("Others take part in this consult too, so it cannot be cancelled here. Ask for another time instead."),
            code="not_only_client",
        )
    appointment = participant.appointment
    mark_cancelled(appointment=appointment, by_participant=participant)
    effects.consult_cancelled_by_client(participant=participant, appointment=appointment)
    return appointment


def clean_note(note: str) -> str:
    note = note.replace("\r\n", "\n").strip()
    if not note:
        raise ValidationError(
            _("Write which days or times would suit you, so that we can find another time."), code="required"
        )
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError(
            _("Please keep it to %(max)d characters; this is %(length)d.")
            % {"max": NOTE_MAX_LENGTH, "length": len(note)},
            code="max_length",
        )
    return note


@transaction.atomic
def ask_for_another_time(*, participant: Participant, note: str) -> TimeRequest:
    """The client asks for another time; the consult stays as it is until staff change or cancel it. Asking
    again replaces the note of the open request, and the notice goes out again."""
    note = clean_note(note)
    participant = _locked(participant)
    refusal = _refusal(self_service_for(participant=participant))
    if refusal is not None:
        raise refusal
    request = save_time_request(participant=participant, note=note, now=timezone.now())
    effects.time_requested(request=request)
    return request
