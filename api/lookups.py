"""From what an API request names to what the services take: a team by its name, an agent by their email
address, participant rows with the people who stay recognised, and a consult as the API shows it."""

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation, Team, User
from scheduling.models import Appointment, Participant
from scheduling.phones import normalise_mobile
from scheduling.rules import ParticipantInput

from .schemas import ParticipantIn


def find_team(*, organisation: Organisation, name: str) -> Team:
    team = Team.objects.select_related("organisation").filter(organisation=organisation, name=name).first()
    if team is None:
        raise ValidationError({"team": [_("There is no team named %(name)s.") % {"name": name}]})
    return team


def find_agent(*, organisation: Organisation, email: str) -> User:
    agent = User.objects.filter(organisation=organisation, email=email.strip().lower()).first()
    if agent is None:
        raise ValidationError({"agent": [_("There is no user with the address %(email)s.") % {"email": email}]})
    return agent


def _contact_key(email: str, phone: str, name: str) -> str:
    """Whom a row names: their address, else their number, else their name (a shared link)."""
    if email.strip():
        return "email:" + email.strip().lower()
    if phone.strip():
        try:
            return "phone:" + normalise_mobile(phone)
        except ValidationError:
            return "phone:" + phone.strip()
    return "name:" + name.strip().casefold()


def participant_inputs(
    rows: Sequence[ParticipantIn], *, organisation: Organisation, current: Sequence[Participant] = ()
) -> list[ParticipantInput]:
    """The rows for a booking or a change. A row that names a current participant (the same address, number,
    or for a shared link the same name) keeps that person, so their link stays valid; others are new."""
    existing: dict[str, int] = {}
    for participant in current:
        key = _contact_key(participant.email, participant.phone, participant.name)
        existing.setdefault(key, participant.pk)
    inputs = []
    for row in rows:
        key = _contact_key(row.email, row.phone if row.channel == "sms" else "", row.name)
        inputs.append(
            ParticipantInput(
                name=row.name,
                channel=row.channel,
                language=row.language or organisation.default_language,
                email=row.email,
                phone=row.phone if row.channel == "sms" else "",
                participant_id=existing.pop(key, None),
            )
        )
    return inputs


def local(moment: datetime | None, organisation: Organisation) -> datetime | None:
    return timezone.localtime(moment, organisation.tzinfo) if moment is not None else None


def consult_out(appointment: Appointment) -> dict:
    """A consult as the API shows it, times in its organisation's zone with their offset."""
    organisation = appointment.organisation
    participants = getattr(appointment, "active_participants", None)
    if participants is None:
        participants = list(appointment.participants.active())
    return {
        "id": appointment.public_id,
        "series": appointment.series.public_id if appointment.series is not None else None,
        "status": appointment.status,
        "sequence": appointment.sequence,
        "team": appointment.team.name,
        "agent": {"name": appointment.agent.full_name, "email": appointment.agent.email},
        "start": local(appointment.start, organisation),
        "end": local(appointment.end, organisation),
        "subject": appointment.subject,
        "message": appointment.message_for(organisation.default_language),
        "link_expires_at": local(appointment.link_expires_at, organisation),
        "started_at": local(appointment.started_at, organisation),
        "ended_at": local(appointment.ended_at, organisation),
        "cancelled_at": local(appointment.cancelled_at, organisation),
        "participants": [
            {
                "name": p.name,
                "channel": p.channel,
                "language": p.language,
                "email": p.email,
                "phone": p.phone,
                "join_url": p.join_url,
            }
            for p in participants
        ],
    }
