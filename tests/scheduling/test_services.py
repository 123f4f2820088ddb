from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.utils import timezone

from scheduling.models import Appointment, Channel, Participant, Status, link_expiry
from scheduling.rules import ConflictError
from scheduling.services import (
    ParticipantInput,
    StaleAppointmentError,
    book_appointment,
    cancel_appointment,
    update_appointment,
)
from tests.factories import AppointmentFactory, TeamFactory, agent_of, assistant_of


def client_row(**overrides) -> ParticipantInput:
    values = {"name": "Jan Peters", "channel": Channel.EMAIL, "language": "nl", "email": "jan@example.org"}
    return ParticipantInput(**{**values, **overrides})


@pytest.fixture
def book(assistant, agent, team, tomorrow_at):
    """Book with sensible defaults; a test overrides only what it is about."""

    def _book(**overrides) -> Appointment:
        values = {
            "booked_by": assistant,
            "team": team,
            "agent": agent,
            "start": tomorrow_at(12),
            "end": tomorrow_at(12, 30),
            "subject": "Intake",
            "message": "Hello",
            "participants": [client_row()],
        }
        return book_appointment(**{**values, **overrides})

    return _book


def field_errors(error: ValidationError) -> dict[str, list[str]]:
    return {field: [str(m) for e in errors for m in e.messages] for field, errors in error.error_dict.items()}


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ((12, 0), (12, 15), (13, 0)),  # short consult: an hour after the start
        ((12, 0), (13, 30), (13, 30)),  # long consult: the end
        ((12, 0), (13, 0), (13, 0)),  # exactly an hour: both rules agree
    ],
)
def test_link_expiry_is_end_but_at_least_an_hour_after_start(start, end, expected):
    day = datetime(2026, 3, 2, tzinfo=UTC)
    at = lambda hm: day.replace(hour=hm[0], minute=hm[1])  # noqa: E731
    assert link_expiry(at(start), at(end)) == at(expected)


def test_booking_writes_appointment_and_participants_with_e164_phone_and_tokens(book, assistant, agent):
    appointment = book(
        participants=[
            client_row(),
            client_row(name="Fatima", channel=Channel.SMS, email="", phone="06 12345678", language="en"),
            client_row(name="Piet", channel=Channel.LINK, email=""),
        ]
    )
    assert appointment.status == Status.SCHEDULED
    assert appointment.sequence == 0
    assert appointment.booked_by == assistant and appointment.agent == agent
    assert appointment.calendar_uid.endswith("@videoconsult")
    participants = list(appointment.participants.all())
    assert [p.name for p in participants] == ["Jan Peters", "Fatima", "Piet"]
    assert participants[1].phone == "+31612345678"
    assert participants[1].language == "en"
    tokens = {p.token for p in participants}
    assert len(tokens) == 3
    # token_urlsafe(16): 22 characters of 6 bits, the 128 bits of randomness the design asks for (and no
    # more, so that an SMS with the link fits one segment).
    assert all(len(token) >= 22 for token in tokens)


def test_booking_refuses_end_before_start_past_start_and_overlong(book, tomorrow_at):
    with pytest.raises(ValidationError) as error:
        book(start=tomorrow_at(12), end=tomorrow_at(11))
    assert field_errors(error.value) == {"end": ["The end time must be after the start time."]}

    with pytest.raises(ValidationError) as error:
        book(start=tomorrow_at(7), end=tomorrow_at(19, 1))
    assert field_errors(error.value) == {"end": ["A consult lasts at most 12 hours."]}

    past = timezone.now() - timedelta(hours=1)
    with pytest.raises(ValidationError) as error:
        book(start=past, end=past + timedelta(minutes=30))
    assert field_errors(error.value) == {"start": ["The start time is in the past."]}
    assert not Appointment.objects.exists()


def test_booking_refuses_agent_from_another_team(book, team):
    other_team_agent = agent_of(TeamFactory(organisation=team.organisation), full_name="Someone Else")
    with pytest.raises(ValidationError) as error:
        book(agent=other_team_agent)
    assert field_errors(error.value)["agent"] == [f"Someone Else is not an agent of team {team.name}."]


def test_booking_refuses_team_the_assistant_does_not_assist(book, team):
    other_team = TeamFactory(organisation=team.organisation)
    with pytest.raises(PermissionDenied):
        book(team=other_team, agent=agent_of(other_team))


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "Add at least one participant."),
        ([client_row()] * 11, "A consult has at most 10 participants."),
        ([client_row(email="")], "Participant 1 needs an email address."),
        ([client_row(channel=Channel.SMS, phone="12")], "Participant 1: This is not a valid phone number."),
        (
            [client_row(), client_row(channel=Channel.SMS, phone="020 123 4567")],
            "Participant 2: This is not a mobile number; an SMS needs one, e.g. 06 12345678.",
        ),
        ([client_row(name="  ")], "Participant 1 has no name."),
    ],
)
def test_booking_refuses_bad_participants(book, rows, message):
    with pytest.raises(ValidationError) as error:
        book(participants=rows)
    assert message in field_errors(error.value)["participants"]


def test_overlap_with_agents_consult_needs_confirmation(book, tomorrow_at):
    first = book()
    with pytest.raises(ConflictError) as error:
        book(start=tomorrow_at(12, 15), end=tomorrow_at(12, 45))
    assert [c.public_id for c in error.value.conflicts] == [first.public_id]
    second = book(start=tomorrow_at(12, 15), end=tomorrow_at(12, 45), allow_conflicts=True)
    assert second.pk != first.pk


def test_adjacent_and_cancelled_consults_are_no_conflict(book, assistant, tomorrow_at):
    book()  # 12:00-12:30
    book(start=tomorrow_at(12, 30), end=tomorrow_at(13))
    cancelled = book(start=tomorrow_at(14), end=tomorrow_at(15))
    cancel_appointment(appointment=cancelled, cancelled_by=assistant)
    assert book(start=tomorrow_at(14), end=tomorrow_at(15)).pk


def test_update_changes_time_agent_and_participants_and_raises_sequence(book, assistant, team, tomorrow_at):
    appointment = book(
        participants=[client_row(), client_row(name="Piet", channel=Channel.LINK, email="")],
    )
    jan, piet = appointment.participants.all()
    new_agent = agent_of(team)
    updated = update_appointment(
        appointment=appointment,
        changed_by=assistant,
        expected_sequence=0,
        team=team,
        agent=new_agent,
        start=tomorrow_at(15),
        end=tomorrow_at(15, 45),
        subject="Follow-up",
        message="Changed",
        participants=[
            client_row(participant_id=jan.pk, email="jan.new@example.org"),
            client_row(name="Noor", channel=Channel.SMS, email="", phone="+31 6 87654321"),
        ],
    )
    assert updated.sequence == 1
    assert (updated.agent, updated.start, updated.subject) == (new_agent, tomorrow_at(15), "Follow-up")
    jan.refresh_from_db()
    piet.refresh_from_db()
    # Jan keeps his link; Piet is taken off the consult (his row stays, so his link can be refused).
    assert jan.email == "jan.new@example.org" and jan.removed_at is None
    assert piet.removed_at is not None
    active = list(updated.participants.active().values_list("name", "phone"))
    assert active == [("Jan Peters", ""), ("Noor", "+31687654321")]


def test_second_save_based_on_old_version_is_refused(book, assistant, team, agent, tomorrow_at):
    appointment = book()
    kwargs = {
        "changed_by": assistant,
        "expected_sequence": 0,
        "team": team,
        "agent": agent,
        "end": tomorrow_at(13, 30),
        "subject": "Intake",
        "message": "Hello",
        "participants": [client_row(participant_id=appointment.participants.get().pk)],
    }
    update_appointment(appointment=appointment, start=tomorrow_at(13), **kwargs)
    stale_copy = Appointment.objects.get(pk=appointment.pk)
    with pytest.raises(StaleAppointmentError):
        update_appointment(appointment=stale_copy, start=tomorrow_at(12, 45), **kwargs)
    appointment.refresh_from_db()
    assert (appointment.start, appointment.sequence) == (tomorrow_at(13), 1)


def test_update_of_ongoing_consult_may_keep_its_past_start(assistant, team, agent):
    started = timezone.now() - timedelta(minutes=10)
    appointment = AppointmentFactory(team=team, agent=agent, start=started, end=started + timedelta(minutes=30))
    updated = update_appointment(
        appointment=appointment,
        changed_by=assistant,
        expected_sequence=0,
        team=team,
        agent=agent,
        start=started,
        end=started + timedelta(minutes=60),
        subject="Consult",
        message="Longer",
        participants=[client_row()],
    )
    assert updated.end == started + timedelta(minutes=60)


def test_cancel_marks_cancelled_keeps_row_and_raises_sequence(book, assistant):
    appointment = book()
    cancelled = cancel_appointment(appointment=appointment, cancelled_by=assistant)
    assert cancelled.status == Status.CANCELLED
    assert cancelled.cancelled_by == assistant and cancelled.cancelled_at is not None
    assert cancelled.sequence == 1
    with pytest.raises(ValidationError, match="already cancelled"):
        cancel_appointment(appointment=cancelled, cancelled_by=assistant)


def test_cancelled_consult_cannot_be_edited(book, assistant, team, agent, tomorrow_at):
    appointment = cancel_appointment(appointment=book(), cancelled_by=assistant)
    with pytest.raises(ValidationError, match="cancelled"):
        update_appointment(
            appointment=appointment,
            changed_by=assistant,
            expected_sequence=appointment.sequence,
            team=team,
            agent=agent,
            start=tomorrow_at(13),
            end=tomorrow_at(14),
            subject="x",
            message="y",
            participants=[client_row()],
        )


def test_assistant_of_another_team_cannot_change_or_cancel(book, team):
    appointment = book()
    outsider = assistant_of(TeamFactory(organisation=team.organisation))
    with pytest.raises(PermissionDenied):
        cancel_appointment(appointment=appointment, cancelled_by=outsider)
    assert Appointment.objects.get().status == Status.SCHEDULED


def test_database_refuses_end_not_after_start(team, agent, assistant):
    start = timezone.now()
    with pytest.raises(IntegrityError):
        AppointmentFactory(team=team, agent=agent, booked_by=assistant, start=start, end=start)


def test_database_refuses_duplicate_calendar_uid(team, agent, assistant):
    first = AppointmentFactory(team=team, agent=agent, booked_by=assistant)
    with pytest.raises(IntegrityError):
        AppointmentFactory(team=team, agent=agent, booked_by=assistant, calendar_uid=first.calendar_uid)


def test_database_refuses_sms_participant_without_number(team, agent, assistant):
    appointment = AppointmentFactory(team=team, agent=agent, booked_by=assistant)
    with pytest.raises(IntegrityError):
        Participant.objects.create(appointment=appointment, name="x", channel=Channel.SMS, phone="")


def test_long_consult_that_began_hours_earlier_still_conflicts(book, tomorrow_at):
    long_one = book(start=tomorrow_at(7), end=tomorrow_at(18, 59))  # just under the 12-hour maximum
    with pytest.raises(ConflictError) as error:
        book(start=tomorrow_at(18, 30), end=tomorrow_at(19))
    assert [c.public_id for c in error.value.conflicts] == [long_one.public_id]
