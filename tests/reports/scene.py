"""Consults with known times in one past week, and the figures worked out by hand from them."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from accounts.models import Organisation, Team, User
from notifications.models import Notification
from scheduling.models import Appointment, Status
from tests.factories import AppointmentFactory, ParticipantFactory, TeamFactory, agent_of, assistant_of
from waitingroom.models import Presence


@dataclass
class Scene:
    organisation: Organisation
    first_team: Team
    second_team: Team
    ann: User  # agent in the first team
    bob: User  # agent in the first team
    cas: User  # agent in the second team
    assistant: User  # assistant of the first team
    monday: date


def past_monday() -> date:
    today = timezone.localdate()
    return today - timedelta(days=today.weekday() + 28)


def build(organisation: Organisation) -> Scene:
    first_team = TeamFactory(organisation=organisation, name="Adults")
    second_team = TeamFactory(organisation=organisation, name="Youth")
    scene = Scene(
        organisation=organisation,
        first_team=first_team,
        second_team=second_team,
        ann=agent_of(first_team, full_name="Ann Agent"),
        bob=agent_of(first_team, full_name="Bob Agent"),
        cas=agent_of(second_team, full_name="Cas Agent"),
        assistant=assistant_of(first_team, full_name="Asha Assistant"),
        monday=past_monday(),
    )
    tz = organisation.tzinfo

    def at(day: int, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(scene.monday + timedelta(days=day), datetime.min.time(), tzinfo=tz) + timedelta(
            hours=hour, minutes=minute
        )

    def consult(agent: User, team: Team, start: datetime, **fields) -> Appointment:
        return AppointmentFactory(
            organisation=organisation,
            team=team,
            agent=agent,
            booked_by=scene.assistant,
            start=start,
            end=start + timedelta(minutes=30),
            **fields,
        )

    def client(appointment: Appointment, arrived: datetime | None, admitted: datetime | None, opened=None):
        participant = ParticipantFactory(appointment=appointment)
        Presence.objects.create(
            participant=participant, first_opened_at=opened or arrived, arrived_at=arrived, admitted_at=admitted
        )
        return participant

    # Ann: came early (waits from 09:00: 3 min), started 3 min late, 20 min call.
    one = consult(scene.ann, first_team, at(0, 9), started_at=at(0, 9, 3), ended_at=at(0, 9, 23))
    first_client = client(one, at(0, 8, 55), at(0, 9, 3))
    # Ann: arrived 10:05, let in 10:10 (5 min), started 10 min late, 30 min call.
    two = consult(scene.ann, first_team, at(0, 10), started_at=at(0, 10, 10), ended_at=at(0, 10, 40))
    client(two, at(0, 10, 5), at(0, 10, 10))
    # Ann: the client opened the link the day before but never checked in: a no-show.
    three = consult(scene.ann, first_team, at(0, 11))
    client(three, None, None, opened=at(-1, 18))
    # Ann: cancelled four hours before: late. Cancelled three days before: not late.
    consult(scene.ann, first_team, at(0, 12), status=Status.CANCELLED, cancelled_at=at(0, 8))
    consult(scene.ann, first_team, at(1, 9), status=Status.CANCELLED, cancelled_at=at(-2, 9))
    # Cancelled exactly 24 hours before: not late.
    consult(scene.ann, first_team, at(1, 11), status=Status.CANCELLED, cancelled_at=at(0, 11))
    # Ann: started 2 min early, 15 min call; one client let in before the planned start (0 min), one
    # arrived 10:04 and let in 10:12 (8 min).
    six = consult(scene.ann, first_team, at(1, 10), started_at=at(1, 9, 58), ended_at=at(1, 10, 13))
    client(six, at(1, 9, 50), at(1, 9, 58))
    client(six, at(1, 10, 4), at(1, 10, 12))
    # Bob: the client came back after being let in, so their first arrival is unknown: no waiting time.
    bob = consult(scene.bob, first_team, at(3, 9), started_at=at(3, 9), ended_at=at(3, 9, 10))
    client(bob, at(3, 9, 5), at(3, 9))
    # Cas: waited 10 min, started 30 min late, 30 min call.
    cas = consult(scene.cas, second_team, at(2, 14), started_at=at(2, 14, 30), ended_at=at(2, 15))
    client(cas, at(2, 14, 20), at(2, 14, 30))
    # Outside the week (Sunday before, next Monday): counted in no figure of this week.
    consult(scene.ann, first_team, at(-1, 23, 30), started_at=at(-1, 23, 50), ended_at=at(0, 0, 50))
    consult(scene.ann, first_team, at(7, 0), started_at=at(7, 1), ended_at=at(7, 2))
    # Messages about Ann's first consult: one email and one SMS failed, one email sent.
    for channel, status in (("email", "failed"), ("sms", "failed"), ("email", "sent")):
        Notification.objects.create(
            organisation=organisation,
            appointment=one,
            participant=first_client,
            purpose="invitation",
            channel=channel,
            to="x",
            dedupe_key=f"{channel}-{status}",
            send_after=at(-3, 9),
            status=status,
        )
    return scene


MINUTE = 60.0
# Worked out by hand from the consults above (seconds).
ANN = {
    "booked": 7,
    "held": 3,
    "no_shows": 1,
    "cancelled_late": 1,
    "waiting": [3, 5, 0, 8],  # median 4, 90th percentile (rank 4 of 4) 8
    "start_delay": [3, 10, -2],  # median 3, 90th percentile (rank 3 of 3) 10
    "call_duration": [20, 30, 15],  # median 20, 90th percentile 30
    "failed": {"email": 1, "sms": 1},
}
