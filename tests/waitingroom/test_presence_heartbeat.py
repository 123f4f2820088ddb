"""Clients whose page holds its event stream open stay waiting: each process refreshes the presence of all
its open pages together (waitingroom.heartbeat, services.refresh_waiting) instead of once per stream."""

import time
from datetime import timedelta

import pytest
from django.test import AsyncClient
from django.urls import reverse
from django.utils import timezone

from waitingroom import events, streams
from waitingroom.models import Presence
from waitingroom.services import OpenPage, check_in, is_waiting, leave, refresh_waiting

from .test_live_events import _read


@pytest.fixture
def participants(book):
    """Clients of three consults, each checked in ten seconds ago: waiting, not yet timed out."""
    starts = [timezone.now() + timedelta(minutes=5, hours=hour) for hour in range(3)]
    found = [book(start=start, end=start + timedelta(minutes=30)).participants.get() for start in starts]
    for participant in found:
        check_in(participant=participant, page=f"page-of-{participant.pk}")
    Presence.objects.update(last_seen_at=timezone.now() - timedelta(seconds=10))
    return found


def open_pages(participants):
    return [OpenPage(participant=p, page=f"page-of-{p.pk}") for p in participants]


@pytest.mark.parametrize("count", [1, 3])
def test_open_pages_are_refreshed_by_one_update_whatever_their_number(
    participants, count, django_assert_num_queries, django_capture_on_commit_callbacks
):
    arrived = {p.participant_id: p.arrived_at for p in Presence.objects.all()}
    now = timezone.now()
    with django_assert_num_queries(1), django_capture_on_commit_callbacks() as announced:
        refresh_waiting(pages=open_pages(participants[:count]), now=now)
    refreshed = Presence.objects.filter(last_seen_at=now)
    assert sorted(refreshed.values_list("participant_id", flat=True)) == [p.pk for p in participants[:count]]
    # Still the same stay: nobody arrives again, no agent's bell rings.
    assert all(p.arrived_at == arrived[p.participant_id] for p in refreshed)
    assert announced == []


def test_a_client_whose_presence_lapsed_arrives_again_and_rings(
    participants, settings, django_capture_on_commit_callbacks
):
    lapsed, waiting, _ = participants
    long_ago = timezone.now() - timedelta(seconds=settings.WAITING_PRESENCE_TIMEOUT_SECONDS + 1)
    Presence.objects.filter(participant=lapsed).update(last_seen_at=long_ago)
    now = timezone.now()
    with django_capture_on_commit_callbacks() as announced:
        refresh_waiting(pages=open_pages([lapsed, waiting]), now=now)
    presence = Presence.objects.get(participant=lapsed)
    assert is_waiting(presence) and presence.arrived_at > long_ago
    assert len(announced) == 1  # the team's waiting rooms hear of the arrival


def test_a_page_that_said_goodbye_stays_gone(participants):
    gone, *_ = participants
    leave(participant=gone, page=f"page-of-{gone.pk}")
    refresh_waiting(pages=open_pages(participants))
    assert not is_waiting(Presence.objects.get(participant=gone))
    assert all(is_waiting(p) for p in Presence.objects.exclude(participant=gone))


@pytest.mark.django_db(transaction=True)  # the stream's database work runs in threads of its own
def test_an_open_stream_keeps_its_client_waiting_past_the_timeout(book, settings, monkeypatch):
    settings.REDIS_URL = ""
    settings.WAITING_PRESENCE_TIMEOUT_SECONDS = 1
    monkeypatch.setattr(streams.presence_heartbeat, "every", 0.2)
    start = timezone.now() + timedelta(minutes=5)
    participant = book(start=start, end=start + timedelta(minutes=30)).participants.get()
    url = reverse("waitingroom:client-events", args=[participant.token]) + "?page=page-one"
    seen = {}

    def after_the_timeout():
        arrived = Presence.objects.get(participant=participant).arrived_at
        time.sleep(2.5)
        presence = Presence.objects.get(participant=participant)
        seen.update(waiting=is_waiting(presence), same_stay=presence.arrived_at == arrived)
        seen["open"] = streams.presence_heartbeat.open_count
        events._send(events.consult_channel(participant.appointment.public_id), "message")

    _response, received = _read(AsyncClient(), url, 2, between=after_the_timeout)
    assert received == ["retry: 2000\n\n", "data: message\n\n"]
    assert seen == {"waiting": True, "same_stay": True, "open": 1}
    # Closed: no longer kept, and gone at once.
    assert streams.presence_heartbeat.open_count == 0
    assert Presence.objects.get(participant=participant).left_at is not None
