"""Rooms follow their consult: made after booking, replaced when it moves, removed when it is cancelled or
over. Run against the fake Whereby API, through the services and the (eager) Celery tasks."""

from datetime import timedelta

import pytest
from django.utils import timezone

from scheduling.models import Appointment
from scheduling.services import cancel_appointment
from tests.factories import AppointmentFactory, email_participant
from videoproviders import locmem
from videoproviders.base import VideoProviderError
from videoproviders.models import RoomStatus, VideoRoom
from videoproviders.services import (
    accounts_changed,
    create_room,
    participant_room_url,
    retire_rooms,
    room_for_start,
    sweep,
)


def _rooms(appointment):
    return list(VideoRoom.objects.filter(appointment=appointment).order_by("pk"))


@pytest.fixture
def later(monkeypatch):
    """Move the clock forward by some seconds for everything that asks django.utils.timezone.now()."""
    real_now = timezone.now

    def move(seconds: float) -> None:
        monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(seconds=seconds))

    return move


def test_booking_makes_a_whereby_room_that_works_until_the_links_expire(whereby_agent, whereby, book):
    appointment = book()
    (room,) = _rooms(appointment)
    assert room.status == RoomStatus.READY
    assert room.provider == "whereby"
    meeting = whereby.meetings[room.provider_room_id]
    assert room.participant_url == meeting["roomUrl"]
    assert room.host_url == meeting["hostRoomUrl"]
    assert room.expires_at == appointment.link_expires_at


def test_cancelling_deletes_the_meeting_and_forgets_the_host_url(
    whereby_agent, whereby, book, assistant, django_capture_on_commit_callbacks
):
    appointment = book()
    (room,) = _rooms(appointment)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_appointment(appointment=appointment, cancelled_by=assistant)
    room.refresh_from_db()
    assert room.status == RoomStatus.DELETED
    assert room.host_url == ""
    assert [c.path for c in whereby.calls("DELETE")] == [f"/v1/meetings/{room.provider_room_id}"]
    assert room.provider_room_id not in whereby.meetings


def test_a_new_time_gets_a_new_room_and_the_old_one_is_deleted(whereby_agent, whereby, book, edit, tomorrow_at):
    appointment = book()
    (old,) = _rooms(appointment)
    edit(appointment, start=tomorrow_at(15), end=tomorrow_at(15, 45))
    old.refresh_from_db()
    new = _rooms(appointment)[-1]
    assert old.status == RoomStatus.DELETED and old.provider_room_id not in whereby.meetings
    assert new.status == RoomStatus.READY and new.provider_room_id in whereby.meetings
    assert new.expires_at == appointment.link_expires_at


def test_a_new_subject_keeps_the_room(whereby_agent, whereby, book, edit):
    appointment = book()
    edit(appointment, subject="Follow-up")
    (room,) = _rooms(appointment)
    assert room.status == RoomStatus.READY
    assert whereby.calls("DELETE") == []


def test_a_rate_limited_creation_waits_for_retry_after_then_succeeds(
    whereby_agent, whereby, book, later, django_capture_on_commit_callbacks
):
    whereby.fail_next(429, headers={"Retry-After": "90"})
    appointment = book()
    (room,) = _rooms(appointment)
    assert room.status == RoomStatus.PENDING
    assert "busy" in room.last_error
    assert room.next_attempt_at >= timezone.now() + timedelta(seconds=85)

    later(60)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep().created == 0
    later(95)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep().created == 1
    room.refresh_from_db()
    assert room.status == RoomStatus.READY
    assert len(whereby.calls("POST")) == 2


def test_a_refused_key_fails_the_room_and_a_fixed_key_makes_a_new_one(
    whereby_agent, whereby, whereby_account, book, django_capture_on_commit_callbacks
):
    whereby_account.secret = "revoked"
    whereby_account.save()
    appointment = book()
    (room,) = _rooms(appointment)
    assert room.status == RoomStatus.FAILED
    assert "API key" in room.last_error

    whereby_account.secret = whereby.api_key
    whereby_account.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert accounts_changed(agents=[whereby_agent]) == 1
    assert [r.status for r in _rooms(appointment)] == [RoomStatus.DELETED, RoomStatus.READY]


def test_a_room_left_half_made_by_a_dead_worker_is_made_again(book, later, django_capture_on_commit_callbacks):
    appointment = book(send=False)
    (room,) = _rooms(appointment)
    VideoRoom.objects.filter(pk=room.pk).update(status=RoomStatus.CREATING, claimed_at=timezone.now())
    later(30)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep().recovered == 0
    later(200)
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep()
    assert (result.recovered, result.created) == (1, 1)
    room.refresh_from_db()
    assert room.status == RoomStatus.READY


def test_the_sweep_removes_rooms_of_consults_that_are_over(
    whereby_agent, whereby, whereby_account, django_capture_on_commit_callbacks
):
    start = timezone.now() - timedelta(hours=3)
    team = whereby_agent.memberships.get().team
    over = AppointmentFactory(agent=whereby_agent, team=team, start=start, end=start + timedelta(minutes=30))
    # Its room was made while the consult lay ahead; since then time went by.
    room = VideoRoom.objects.create(
        appointment=over,
        status=RoomStatus.READY,
        provider="whereby",
        service_account=whereby_account,
        provider_room_id="4242",
        host_url="https://fake-subdomain.whereby.com/consult-1?roomKey=k",
        expires_at=over.link_expires_at,
    )
    whereby.meetings["4242"] = {"meetingId": "4242"}
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep().expired == 1
    room.refresh_from_db()
    assert room.status == RoomStatus.DELETED
    assert room.host_url == ""
    assert "4242" not in whereby.meetings


def test_the_sweep_leaves_rooms_of_consults_that_may_still_run(book, django_capture_on_commit_callbacks):
    appointment = book()
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep().expired == 0
    assert _rooms(appointment)[0].status == RoomStatus.READY


def test_pressing_online_consult_makes_the_room_when_the_task_has_not(book):
    appointment = book(send=False)
    assert locmem.rooms == []
    room = room_for_start(appointment=appointment)
    assert room.status == RoomStatus.READY
    assert room.host_url == locmem.rooms[0].host_url


def test_pressing_online_consult_after_a_temporary_failure_tries_again(book):
    locmem.failures.append(VideoProviderError("The service is down."))
    appointment = book()
    assert _rooms(appointment)[0].status == RoomStatus.PENDING
    room = room_for_start(appointment=appointment)
    assert room.status == RoomStatus.READY


def test_a_changed_agent_account_gets_a_fresh_room_at_start(whereby_agent, whereby, book, agent):
    appointment = book()
    (old,) = _rooms(appointment)
    agent.video_account.delete()  # back to the default provider (in memory)
    room = room_for_start(appointment=Appointment.objects.get(pk=appointment.pk))
    assert room.provider == "locmem"
    old.refresh_from_db()
    assert old.status in (RoomStatus.DELETING, RoomStatus.DELETED)


def test_participant_url_is_the_room_with_their_name_never_the_host_url(book):
    appointment = book(email_participant(name="Chris Client", language="nl"))
    participant = appointment.participants.get()
    url = participant_room_url(participant=participant)
    room = _rooms(appointment)[0]
    assert url == f"{room.participant_url}?name=Chris Client&lang=nl"
    assert room.host_url not in url


def test_a_room_made_while_its_consult_was_cancelled_is_deleted_again(
    book, monkeypatch, django_capture_on_commit_callbacks
):
    appointment = book(send=False)
    made = locmem.LocmemProvider.create_room

    def cancelled_meanwhile(self, *, request, account):
        room = made(self, request=request, account=account)
        retire_rooms(appointment=appointment)  # someone cancels while the provider answers
        return room

    monkeypatch.setattr(locmem.LocmemProvider, "create_room", cancelled_meanwhile)
    with django_capture_on_commit_callbacks(execute=True):
        create_room(room_id=_rooms(appointment)[0].pk)
    (room,) = _rooms(appointment)
    assert room.status == RoomStatus.DELETED
    assert locmem.deleted == [locmem.rooms[0].provider_room_id]
