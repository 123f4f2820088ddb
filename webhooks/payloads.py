"""What an event says: the consult without its clients.

Names, email addresses, phone numbers and message texts of clients stay on our side; a receiver that needs
them asks the API with its own key, where the organisation's permissions apply. The agent is named, as the
audit log names them: they act for the organisation, and receivers route events by agent.
"""

import uuid
from datetime import UTC, datetime

from scheduling.models import Appointment, Series


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, which every JSON library parses."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def consult_status(appointment: Appointment) -> str:
    if appointment.is_cancelled:
        return "cancelled"
    if appointment.is_active:
        return "in_progress"
    if appointment.ended_at is not None:
        return "ended"
    return "scheduled"


def series_ids(appointments: list[Appointment]) -> dict[int, str]:
    """The series' public ids of these consults in one query (the sessions are often read without them)."""
    pks = {appointment.series_id for appointment in appointments if appointment.series_id}
    if not pks:
        return {}
    return {pk: str(public_id) for pk, public_id in Series.objects.filter(pk__in=pks).values_list("pk", "public_id")}


def consult(appointment: Appointment, series: dict[int, str] | None = None) -> dict:
    """`series`: series_ids() of the consults at hand, when there are several."""
    if series is None:
        series = series_ids([appointment])
    return {
        "id": str(appointment.public_id),
        "series_id": series.get(appointment.series_id) if appointment.series_id else None,
        "team": {"name": appointment.team.name},
        "agent": {"name": appointment.agent.full_name, "email": appointment.agent.email},
        "start": timestamp(appointment.start),
        "end": timestamp(appointment.end),
        "status": consult_status(appointment),
        "subject": appointment.subject,
    }


def event(*, event_id: uuid.UUID, event_type: str, created: datetime, organisation_name: str, data: dict) -> dict:
    return {
        "id": str(event_id),
        "type": event_type,
        "created": timestamp(created),
        "organisation": {"name": organisation_name},
        "data": data,
    }
