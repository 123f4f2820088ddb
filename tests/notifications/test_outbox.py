"""Which outbox rows the scheduling services write, in the same transaction as the change they announce."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from notifications.models import DeliveryStatus, Notification, Purpose, Reason
from scheduling.services import ParticipantInput, cancel_appointment
from tests.factories import ReminderRuleFactory, agent_of

from .conftest import email_participant, link_participant, sms_participant


def _rows(appointment, **filters):
    return sorted(
        (row.purpose, row.channel, row.to, row.status)
        for row in Notification.objects.filter(appointment=appointment, **filters)
    )


def test_booking_writes_one_invitation_per_recipient_except_copy_link(book, agent, sms_outbox):
    appointment = book(email_participant(), sms_participant(), link_participant())
    assert _rows(appointment) == [
        ("invitation", "email", "chris@example.org", "sent"),
        ("invitation", "email", agent.email, "sent"),
        ("invitation", "sms", "+31612345678", "sent"),
    ]


def test_a_second_row_for_the_same_message_is_impossible(book):
    appointment = book(email_participant())
    row = Notification.objects.filter(appointment=appointment, participant__isnull=False).get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(
            organisation=row.organisation,
            appointment=appointment,
            participant=row.participant,
            purpose=row.purpose,
            channel=row.channel,
            to=row.to,
            dedupe_key=row.dedupe_key,
            send_after=row.send_after,
        )


def test_nothing_is_queued_when_the_booking_transaction_rolls_back(
    assistant, agent, team, tomorrow_at, django_capture_on_commit_callbacks
):
    from scheduling.services import book_appointment

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        book_appointment(
            booked_by=assistant,
            team=team,
            agent=agent,
            start=tomorrow_at(10),
            end=tomorrow_at(11),
            subject="Intake",
            message="Hello",
            participants=[email_participant()],
        )
        raise RuntimeError("the request failed after booking")
    assert callbacks == []
    assert not Notification.objects.exists()


def test_reminders_are_planned_for_rules_still_ahead_and_at_start_minus_offset(book, organisation, tomorrow_at):
    ReminderRuleFactory(organisation=organisation, amount=1, unit="hours", channel="own")
    ReminderRuleFactory(organisation=organisation, amount=24, unit="hours", channel="sms")
    ReminderRuleFactory(organisation=organisation, amount=30, unit="days", channel="email")  # already past
    start = tomorrow_at(10) + timedelta(days=1)
    appointment = book(email_participant(), sms_participant(), link_participant(), start=start)
    reminders = Notification.objects.filter(appointment=appointment, purpose=Purpose.REMINDER)
    assert sorted((r.channel, r.to, r.send_after, r.status) for r in reminders) == sorted(
        [
            ("email", "chris@example.org", start - timedelta(hours=1), "scheduled"),
            ("sms", "+31612345678", start - timedelta(hours=1), "scheduled"),
            ("sms", "+31612345678", start - timedelta(hours=24), "scheduled"),
        ]
    )


def test_an_agents_own_rules_replace_the_organisations(book, organisation, agent, tomorrow_at):
    ReminderRuleFactory(organisation=organisation, amount=1, unit="hours")
    ReminderRuleFactory(organisation=organisation, agent=agent, amount=5, unit="minutes")
    appointment = book(email_participant(), start=tomorrow_at(10))
    reminder = Notification.objects.get(appointment=appointment, purpose=Purpose.REMINDER)
    assert reminder.send_after == tomorrow_at(9, 55)


def test_editing_the_time_moves_pending_reminders(book, edit, organisation, tomorrow_at):
    ReminderRuleFactory(organisation=organisation, amount=1, unit="hours")
    appointment = book(email_participant(), start=tomorrow_at(10))
    reminder = Notification.objects.get(appointment=appointment, purpose=Purpose.REMINDER)
    edit(appointment, start=tomorrow_at(14), end=tomorrow_at(15))
    reminder.refresh_from_db()
    assert reminder.send_after == tomorrow_at(13)
    assert reminder.status == DeliveryStatus.SCHEDULED
    assert Notification.objects.filter(purpose=Purpose.REMINDER).count() == 1


def test_a_new_address_reaches_the_pending_reminders(book, edit, organisation):
    ReminderRuleFactory(organisation=organisation, amount=1, unit="hours")
    appointment = book(email_participant())
    participant = appointment.participants.get()
    row = ParticipantInput(
        name=participant.name, channel="email", language="en", email="new@example.org", participant_id=participant.pk
    )
    edit(appointment, participants=[row])
    reminder = Notification.objects.get(appointment=appointment, purpose=Purpose.REMINDER)
    assert (reminder.to, reminder.status) == ("new@example.org", DeliveryStatus.SCHEDULED)


def test_cancelling_cancels_reminders_and_tells_only_who_was_told(book, organisation, assistant, agent):
    ReminderRuleFactory(organisation=organisation, amount=1, unit="hours")
    appointment = book(email_participant(), sms_participant())
    cancel_appointment(appointment=appointment, cancelled_by=assistant)  # on_commit not run: nothing sent yet
    assert _rows(appointment, purpose=Purpose.REMINDER) == [
        ("reminder", "email", "chris@example.org", "cancelled"),
        ("reminder", "sms", "+31612345678", "cancelled"),
    ]
    assert sorted(_rows(appointment, purpose=Purpose.CANCELLATION)) == [
        ("cancellation", "email", "chris@example.org", "queued"),
        ("cancellation", "email", agent.email, "queued"),
        ("cancellation", "sms", "+31612345678", "queued"),
    ]


def test_an_invitation_withdrawn_before_sending_needs_no_cancellation(book, assistant):
    # Without running on-commit callbacks the invitations stay queued: the worker has not reached them.
    appointment = book(email_participant(), send=False)
    cancel_appointment(appointment=appointment, cancelled_by=assistant)
    assert set(Notification.objects.values_list("purpose", "status", "reason")) == {
        ("invitation", "cancelled", Reason.CONSULT_CANCELLED)
    }


def test_a_change_before_the_invitation_went_out_sends_one_invitation_with_the_new_details(book, edit, tomorrow_at):
    appointment = book(email_participant(), send=False)
    edit(appointment, start=tomorrow_at(12), end=tomorrow_at(13), send=False)
    rows = Notification.objects.filter(participant__isnull=False)
    assert sorted((r.purpose, r.status, r.reason) for r in rows) == [
        ("invitation", "cancelled", Reason.SUPERSEDED),
        ("invitation", "queued", ""),
    ]


def test_reassigning_and_back_gives_each_message_its_own_row(book, edit, agent, team):
    other = agent_of(team)
    appointment = edit(book(email_participant()), agent=other)
    edit(appointment, agent=agent)
    assert [(r.purpose, r.status) for r in Notification.objects.filter(user=agent).order_by("pk")] == [
        ("invitation", "sent"),
        ("cancellation", "sent"),
        ("invitation", "sent"),
    ]
    assert [(r.purpose, r.status) for r in Notification.objects.filter(user=other).order_by("pk")] == [
        ("invitation", "sent"),
        ("cancellation", "sent"),
    ]
