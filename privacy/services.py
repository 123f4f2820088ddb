"""Erasing clients' personal data: after the organisation's retention period, and on request for one person.

What goes: a participant's name, email address and mobile number, where messages to them were sent and
what failed, the texts of messages to waiting clients and of the invitation, and the names the video
provider reported in the room. What stays, without anything that points at a person: the consults with
their times, the participant rows with channel and language, presence times (wait times), the outbox rows
with their statuses. Every erasure is written to the audit log, without the data it erased.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from audit.services import Action, record
from notifications.models import PENDING_STATUSES, DeliveryStatus, Notification, Reason
from scheduling.models import Appointment, Participant
from scheduling.phones import normalise_mobile
from videoproviders.models import RoomEvent
from waitingroom.models import WaitingMessage

# Shown where a name was.
ERASED_NAME = "-"


@dataclass(frozen=True)
class Erasure:
    participants: int
    consults: int

    def __bool__(self) -> bool:
        return bool(self.participants)


def _erase_participants(participants: QuerySet[Participant], now: datetime) -> int:
    ids = list(participants.values_list("pk", flat=True))
    if not ids:
        return 0
    Notification.objects.filter(participant_id__in=ids, status__in=PENDING_STATUSES).update(
        status=DeliveryStatus.CANCELLED, reason=Reason.ERASED, updated_at=now
    )
    Notification.objects.filter(participant_id__in=ids).update(to="", last_error="", updated_at=now)
    return Participant.objects.filter(pk__in=ids).update(name=ERASED_NAME, email="", phone="", erased_at=now)


def _erase_consult_texts(appointments: QuerySet[Appointment]) -> None:
    WaitingMessage.objects.filter(appointment__in=appointments).exclude(text="").update(text="")
    RoomEvent.objects.filter(room__appointment__in=appointments).exclude(display_name="").update(display_name="")
    appointments.exclude(message="").update(message="")


@transaction.atomic
def erase_expired_for(*, organisation: Organisation, now: datetime | None = None) -> Erasure:
    """Erase the personal data of consults that ended more than the retention period ago."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=organisation.retention_days)
    ended = Appointment.objects.filter(organisation=organisation, end__lt=cutoff)
    due = Participant.objects.filter(appointment__in=ended, erased_at__isnull=True)
    consults = due.values("appointment_id").distinct().count()
    if not consults:
        return Erasure(participants=0, consults=0)
    erased = _erase_participants(due, now)
    # Every consult past the period: texts already cleared on an earlier night are skipped by the updates.
    _erase_consult_texts(ended)
    record(
        action=Action.DATA_RETAINED,
        actor=_("Retention job"),
        summary=_("%(participants)d participants of %(consults)d consults that ended before %(date)s")
        % {"participants": erased, "consults": consults, "date": formats.date_format(cutoff, "Y-m-d")},
        organisation_id=organisation.pk,
    )
    return Erasure(participants=erased, consults=consults)


def erase_expired(*, now: datetime | None = None) -> Erasure:
    """The daily job: every organisation by its own retention period."""
    participants = consults = 0
    for organisation in Organisation.objects.all():
        done = erase_expired_for(organisation=organisation, now=now)
        participants += done.participants
        consults += done.consults
    return Erasure(participants=participants, consults=consults)


def _matching(*, organisation: Organisation, identifier: str) -> QuerySet[Participant]:
    """The organisation's participants with this email address or mobile number."""
    identifier = identifier.strip()
    if "@" in identifier:
        match = Q(email__iexact=identifier)
    else:
        try:
            match = Q(phone=normalise_mobile(identifier))
        except ValidationError:
            raise ValidationError(
                _("Give an email address or a mobile number, e.g. jan@example.nl or 06 12345678."), code="identifier"
            )
    return Participant.objects.filter(match, appointment__organisation=organisation, erased_at__isnull=True)


@dataclass(frozen=True)
class PersonFound:
    participants: int
    past_consults: int
    upcoming_consults: int


def find_person(*, organisation: Organisation, identifier: str) -> PersonFound:
    """What erasing this person would touch, to show before it is done."""
    found = _matching(organisation=organisation, identifier=identifier)
    now = timezone.now()
    return PersonFound(
        participants=found.count(),
        past_consults=found.filter(appointment__end__lte=now).values("appointment_id").distinct().count(),
        upcoming_consults=found.filter(appointment__end__gt=now, appointment__status="scheduled")
        .values("appointment_id")
        .distinct()
        .count(),
    )


@transaction.atomic
def erase_person(*, organisation: Organisation, identifier: str, erased_by: User) -> Erasure:
    """Erase everything of one person in the organisation (the right to erasure). Upcoming consults lose them
    as a participant: their link stops working and they get no more messages."""
    now = timezone.now()
    found = _matching(organisation=organisation, identifier=identifier)
    rows = list(found.values_list("pk", "appointment_id", "name"))
    if not rows:
        return Erasure(participants=0, consults=0)
    ids = [pk for pk, _appointment, _name in rows]
    appointment_ids = {appointment for _pk, appointment, _name in rows}
    names = {name for _pk, _appointment, name in rows}
    # The provider reported them in the room by the name they were invited with.
    RoomEvent.objects.filter(room__appointment_id__in=appointment_ids, display_name__in=names).update(display_name="")
    WaitingMessage.objects.filter(appointment_id__in=appointment_ids).exclude(text="").update(text="")
    Participant.objects.filter(pk__in=ids, removed_at__isnull=True).update(removed_at=now)
    erased = _erase_participants(Participant.objects.filter(pk__in=ids), now)
    record(
        action=Action.PERSON_ERASED,
        actor=erased_by,
        summary=_("All data of one person: %(participants)d participations in %(consults)d consults")
        % {"participants": erased, "consults": len(appointment_ids)},
        organisation_id=organisation.pk,
    )
    return Erasure(participants=erased, consults=len(appointment_ids))
