"""Two people book the same agent at the same time, at the same moment: real concurrent requests, each in
its own thread with its own database connection. At most one is saved; the other gets the conflict form
with what she typed. The same for changes and series that move into the same time.

The race only shows on a database that runs transactions side by side (PostgreSQL in CI); SQLite takes its
write lock when a transaction begins, so there the requests run one after the other and the test passes
without the agent's lock as well.
"""

from datetime import timedelta
from functools import partial

import pytest
from django.test import Client
from django.urls import reverse

from scheduling.models import Appointment
from scheduling.services import book_appointment
from tests.factories import assistant_of, email_participant
from tests.threads import at_once

URL = reverse("scheduling:appointment-create")
TRIALS = 6


def post_at_once(requests: list[tuple[Client, str, dict]]) -> list:
    """POST every request from its own thread, all released at the same instant."""
    return at_once([partial(client.post, url, data) for client, url, data in requests])


@pytest.fixture
def two_assistants(team, assistant):
    clients = []
    for user in (assistant, assistant_of(team, full_name="Bea Assistant")):
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


def assert_one_saved_and_the_other_told(responses, *, typed: str) -> None:
    saved = [r for r in responses if r.status_code == 302]
    refused = [r for r in responses if r.status_code == 200]
    assert (len(saved), len(refused)) == (1, len(responses) - 1)
    for response in refused:
        page = response.content.decode()
        # The conflict is shown with its "Book anyway" (in the dates of a series, or on its own).
        assert 'type="checkbox" name="confirm_conflicts"' in page
        assert typed in page  # what she typed is still in the form


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_bookings_of_the_same_agent_and_time_save_one(two_assistants, form_data):
    for trial in range(TRIALS):
        hour = f"{8 + trial:02d}"
        requests = [
            (client, URL, form_data(start_time=f"{hour}:00", end_time=f"{hour}:30", subject=f"Intake {trial}-{n}"))
            for n, client in enumerate(two_assistants)
        ]
        responses = post_at_once(requests)
        assert_one_saved_and_the_other_told(responses, typed=f"Intake {trial}-")
    assert Appointment.objects.count() == TRIALS


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_changes_into_the_same_time_save_one(
    two_assistants, assistant, agent, team, tomorrow_at, form_data
):
    for trial in range(TRIALS):
        consults = [
            book_appointment(
                booked_by=assistant,
                team=team,
                agent=agent,
                start=tomorrow_at(7 + trial, 30 * n),
                end=tomorrow_at(7 + trial, 30 * n + 15),
                subject=f"Consult {trial}-{n}",
                message="Hello",
                participants=[email_participant()],
            )
            for n in range(2)
        ]
        target = tomorrow_at(20, 5 * trial)
        requests = []
        for client, consult in zip(two_assistants, consults, strict=True):
            participant = consult.participants.get()
            data = form_data(
                start_time=target.strftime("%H:%M"),
                end_time=(target + timedelta(minutes=4)).strftime("%H:%M"),
                subject=f"Moved {consult.subject}",
                sequence=str(consult.sequence),
                participants=[{"name": participant.name, "email": participant.email, "language": "en"}],
            )
            data["participants-INITIAL_FORMS"] = "1"
            data["participants-0-participant_id"] = str(participant.pk)
            requests.append((client, reverse("scheduling:appointment-edit", args=[consult.public_id]), data))
        responses = post_at_once(requests)
        assert_one_saved_and_the_other_told(responses, typed="Moved Consult")
        assert Appointment.objects.filter(start=target).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_series_and_a_booking_into_one_of_its_dates_at_once_save_one(
    two_assistants, form_data, organisation, tomorrow_at
):
    from tests.factories import ReminderRuleFactory

    ReminderRuleFactory(organisation=organisation)
    first = tomorrow_at(14) + timedelta(days=7)
    for trial in range(TRIALS):
        start = first + timedelta(hours=trial)
        day = start.date().isoformat()
        times = {"start_time": start.strftime("%H:%M"), "end_time": (start + timedelta(minutes=30)).strftime("%H:%M")}
        series = form_data(date=day, subject=f"Series {trial}", **times)
        series |= {"repeat-repeat": "on", "repeat-frequency": "DAILY", "repeat-interval": "1"}
        series |= {"repeat-ends": "count", "repeat-count": "3", "repeat-preview_of": ""}
        # The series is booked only with the fingerprint of the dates shown to her: show them first.
        preview = two_assistants[0].post(URL, series)
        series["repeat-preview_of"] = preview.context["fingerprint"]
        single_start = start + timedelta(days=2)
        single = form_data(date=single_start.date().isoformat(), subject=f"Single {trial}", **times)
        responses = post_at_once([(two_assistants[0], URL, series), (two_assistants[1], URL, single)])
        assert_one_saved_and_the_other_told(responses, typed=f" {trial}")
        assert Appointment.objects.filter(start=single_start).count() == 1
