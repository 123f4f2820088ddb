"""Property-based tests: thousands of generated inputs posted to the booking form, the message to waiting
clients and the join URL. No response is a server error, and nothing is half-saved: a booking either writes
a whole consult (participants, messages, room, audit entry) or nothing at all.

HYPOTHESIS_EXAMPLES sets the number of examples per test (default 1000; CI runs the default)."""

import os
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.models import AuditEvent
from config.text import one_line
from notifications.models import Notification
from scheduling.models import Appointment, Participant
from videoproviders.models import VideoRoom
from waitingroom.models import WaitingMessage

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "1000"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)

# Text as browsers send it: any character but lone surrogates, which no form can encode.
text = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=300)
nasty = st.sampled_from(
    [
        "",
        " ",
        "<script>alert(1)</script>",
        "\r\nBEGIN:VEVENT\r\n",
        "\x00",
        "9" * 40,
        "2026-02-30",
        "25:61",
        "-1",
        "1e9",
        "06 12345678",
        "+31612345678",
        "a@b",
        "jan@example.org",
        "ü" * 300,
        "'; DROP TABLE scheduling_appointment; --",
    ]
)
value = st.one_of(text, nasty)


def _counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Appointment, Participant, Notification, VideoRoom, AuditEvent))


@pytest.fixture
def fuzz_world(assistant, agent, team, organisation):
    from tests.factories import ReminderRuleFactory

    ReminderRuleFactory(organisation=organisation, amount=1, unit="days")
    return {"team": str(team.pk), "agent": str(agent.pk)}


def _valid_booking(world) -> dict[str, str]:
    day = (timezone.localdate() + timedelta(days=3)).isoformat()
    return {
        "date": day,
        "start_time": "10:00",
        "end_time": "10:30",
        "team": world["team"],
        "agent": world["agent"],
        "subject": "Intake",
        "message": "Welkom",
        "confirm_conflicts": "on",
        "participants-TOTAL_FORMS": "1",
        "participants-INITIAL_FORMS": "0",
        "participants-0-name": "Jan Peters",
        "participants-0-channel": "email",
        "participants-0-email": "jan@example.org",
        "participants-0-phone": "",
        "participants-0-language": "nl",
    }


# Fields a spoiled input may change, the pattern's and a second participant's included.
FIELDS = [
    *_valid_booking({"team": "", "agent": ""}),
    "sequence",
    "repeat-repeat",
    "repeat-frequency",
    "repeat-interval",
    "repeat-ends",
    "repeat-count",
    "repeat-until",
    "repeat-weekdays",
    "repeat-preview_of",
    "participants-0-DELETE",
    "participants-1-name",
    "participants-1-channel",
    "participants-1-email",
    "participants-1-phone",
    "participants-1-language",
]


@st.composite
def bookings(draw, world):
    """A valid booking with a few of its fields replaced by anything at all (or none: then it books)."""
    data = _valid_booking(world)
    for key in draw(st.lists(st.sampled_from(FIELDS), max_size=5, unique=True)):
        data[key] = draw(value)
    return data


def test_the_booking_form_never_fails_and_never_half_saves(assistant_client, fuzz_world):
    outcomes = {200: 0, 302: 0}

    @FUZZ
    @given(data=bookings(fuzz_world))
    def run(data):
        before = _counts()
        response = assistant_client.post(reverse("scheduling:appointment-create"), data)
        has_nul = any("\x00" in str(v) for v in data.values())
        # A NUL byte is refused before any view (400); everything else gets the form or a booking.
        assert response.status_code in ((400,) if has_nul else (200, 302)), response.status_code
        outcomes[response.status_code] = outcomes.get(response.status_code, 0) + 1
        after = _counts()
        if response.status_code in (200, 400):
            assert after == before, "a refused booking wrote something"
        else:
            new = Appointment.objects.order_by("-pk")[: after[0] - before[0]]
            assert new, "a booking answered with a redirect but wrote no consult"
            for appointment in new:
                assert appointment.participants.exists() and VideoRoom.objects.filter(appointment=appointment).exists()
            assert after[4] == before[4] + 1  # one audit entry per booking, series included

    run()
    # Both ways were taken: refused inputs, and inputs that booked.
    assert outcomes[200] and outcomes[302], outcomes


def test_the_message_to_waiting_clients_never_fails(assistant_client, book):
    appointment = book(start=timezone.now() + timedelta(minutes=30), end=timezone.now() + timedelta(minutes=60))
    url = reverse("waitingroom:message", args=[appointment.public_id])

    @FUZZ
    @given(message=value)
    def run(message):
        before = WaitingMessage.objects.count()
        response = assistant_client.post(url, {"text": message}, headers={"accept": "application/json"})
        assert response.status_code in (200, 400)
        written = WaitingMessage.objects.count() - before
        assert written == (1 if response.status_code == 200 else 0)
        if written:
            assert WaitingMessage.objects.latest("pk").text == one_line(message)

    run()


def test_the_join_url_never_fails(client, book, settings):
    settings.JOIN_TOKEN_MISSES_ALLOWED = 10**9  # the limit is tested elsewhere; here every token is tried
    book()

    @FUZZ
    @given(token=st.one_of(text.filter(lambda t: t.strip("/") != ""), nasty.filter(bool)))
    def run(token):
        response = client.get(f"/join/{quote(token, safe='')}/")
        assert response.status_code in ((400,) if "\x00" in token else (200, 301, 404, 410, 429))

    run()
