"""Small values the scheduling services hand to each other and to the effects of a change: a consult's
details, what a change did to them, and what it did to the participants. Named properties instead of
positions in tuples, so that "the agent changed" reads as such."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy

from .models import Appointment, Participant


class Scope(models.TextChoices):
    """What a change or cancellation of a session of a series applies to."""

    THIS = "this", gettext_lazy("Only this consult")
    FOLLOWING = "following", gettext_lazy("This consult and all following ones")
    ALL = "all", gettext_lazy("All consults of the series that are still ahead")


@dataclass(frozen=True)
class ConsultDetails:
    """What an assistant can change about a consult, apart from its participants."""

    team_id: int
    agent_id: int
    start: datetime
    end: datetime
    subject: str
    message: str
    uses_default_message: bool

    @classmethod
    def of(cls, appointment: Appointment) -> "ConsultDetails":
        return cls(
            team_id=appointment.team_id,
            agent_id=appointment.agent_id,
            start=appointment.start,
            end=appointment.end,
            subject=appointment.subject,
            message=appointment.message,
            uses_default_message=appointment.uses_default_message,
        )


@dataclass(frozen=True)
class ParticipantChange:
    """The participants of one consult after a change: who stayed (perhaps with new details), who came and
    who was taken off."""

    kept: list[Participant] = field(default_factory=list)
    added: list[Participant] = field(default_factory=list)
    removed: list[Participant] = field(default_factory=list)
    # Whether a participant who stayed got another name, address, channel, language or position.
    edited: bool = False

    @property
    def current(self) -> list[Participant]:
        return self.kept + self.added

    @property
    def changed(self) -> bool:
        return self.edited or bool(self.added) or bool(self.removed)


@dataclass(frozen=True)
class ConsultChange:
    """One consult before and after a change."""

    appointment: Appointment
    before: ConsultDetails
    after: ConsultDetails
    participants: ParticipantChange

    @property
    def team_changed(self) -> bool:
        return self.before.team_id != self.after.team_id

    @property
    def agent_changed(self) -> bool:
        return self.before.agent_id != self.after.agent_id

    @property
    def time_changed(self) -> bool:
        return (self.before.start, self.before.end) != (self.after.start, self.after.end)

    @property
    def details_changed(self) -> bool:
        return self.before != self.after

    @property
    def is_news(self) -> bool:
        """Saving the form unchanged is not news; anything else reaches agent and participants."""
        return self.details_changed or self.participants.changed

    @property
    def needs_new_room(self) -> bool:
        """A room made for another time or agent may not fit (its end date, the agent's account)."""
        return self.agent_changed or self.time_changed

    def changed_fields(self, *, participants_changed: bool | None = None) -> list[str]:
        """What the change touched, for the audit log. A change to several sessions passes whether the
        participants changed in any of them."""
        fields = [
            name
            for name, changed in (
                ("team", self.team_changed),
                ("agent", self.agent_changed),
                ("time", self.time_changed),
                ("subject", self.before.subject != self.after.subject),
                (
                    "message",
                    (self.before.message, self.before.uses_default_message)
                    != (self.after.message, self.after.uses_default_message),
                ),
            )
            if changed
        ]
        if self.participants.changed if participants_changed is None else participants_changed:
            fields.append("participants")
        return fields
