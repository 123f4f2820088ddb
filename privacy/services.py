"""Erasing clients' personal data: after the organisation's retention period, and on request for one person.

What goes: a participant's name, email address and mobile number, where messages to them were sent and
what failed, the texts of messages to waiting clients and of the invitation, and the names the video
provider reported in the room. What stays, without anything that points at a person: the consults with
their times, the participant rows with channel and language, presence times (wait times), the outbox rows
with their statuses. Every erasure is written to the audit log, without the data it erased.

Each app erases its own rows (`<app>.erasure`); this module only decides what is due, calls them in one
transaction and in one fixed order (outbox, participants, waiting-room texts, room events, invitation
texts), and keeps the audit record.
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
from notifications.erasure import erase_messages_to
from scheduling.erasure import erase_invitation_texts, erase_participants, remove_participants
from scheduling.models import Appointment, Participant
from scheduling.phones import normalise_mobile
from videoproviders.erasure import erase_display_names
from waitingroom.erasure import erase_waiting_messages


@dataclass(frozen=True)
class Erasure:
    participants: int
    consults: int

    def __bool__(self) -> bool:
        return bool(self.participants)


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
    ids = list(due.values_list("pk", flat=True))
    erase_messages_to(participant_ids=ids, now=now)
    erased = erase_participants(participant_ids=ids, now=now)
    # Every consult past the period: texts already cleared on an earlier night are skipped by the updates.
    erase_waiting_messages(appointment_ids=ended)
    erase_display_names(appointment_ids=ended)
    erase_invitation_texts(appointments=ended)
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
    erase_messages_to(participant_ids=ids, now=now)
    remove_participants(participant_ids=ids, now=now)
    erased = erase_participants(participant_ids=ids, now=now)
    erase_waiting_messages(appointment_ids=appointment_ids)
    # The provider reported them in the room by the name they were invited with (kept above before erasing).
    erase_display_names(appointment_ids=appointment_ids, names=names)
    record(
        action=Action.PERSON_ERASED,
        actor=erased_by,
        summary=_("All data of one person: %(participants)d participations in %(consults)d consults")
        % {"participants": erased, "consults": len(appointment_ids)},
        organisation_id=organisation.pk,
    )
    return Erasure(participants=erased, consults=len(appointment_ids))
