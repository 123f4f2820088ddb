"""A client's request for another time as the staff see it: on the consult's page (its team only), marked in
the overview and the day agenda, closed by a change or a cancellation, erased with the client; and the
organisation's setting."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification, Purpose
from notifications.services import send_notification
from privacy.services import erase_expired_for, erase_person
from scheduling.models import TimeRequest
from scheduling.selfservice import ask_for_another_time, cancel_by_client
from scheduling.services import cancel_appointment
from tests.factories import TeamFactory, admin_of, assistant_of, email_participant

NOTE = "Tuesdays after 14:00 suit me better."


@pytest.fixture
def consult(book):
    start = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    return book(email_participant(name="Chris Client"), start=start, end=start + timedelta(minutes=30))


@pytest.fixture
def asked(consult, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return ask_for_another_time(participant=consult.participants.get(), note=NOTE)


def detail(consult) -> str:
    return reverse("scheduling:appointment-detail", args=[consult.public_id])


def test_the_consult_page_shows_the_request_to_the_teams_staff(client, consult, asked, assistant, agent, team):
    for person in (assistant, agent, admin_of(team.organisation)):
        client.force_login(person)
        body = client.get(detail(consult)).content.decode()
        assert "A client asks for another time" in body and NOTE in body and "Chris Client" in body
    client.force_login(assistant)
    body = client.get(detail(consult)).content.decode()
    assert reverse("scheduling:appointment-edit", args=[consult.public_id]) in body
    # Among the consult's messages, the notices to the agent and to the assistant, each named for what they are.
    assert 'Anna Assistant</strong> <span class="muted small">(assistant)</span>' in body
    assert body.count("Request for another time") == 2


def test_staff_of_another_team_or_organisation_do_not_see_it(client, consult, asked, team):
    other_team = team.organisation.teams.create(name="Other team")
    for person in (assistant_of(other_team), admin_of(TeamFactory().organisation)):
        client.force_login(person)
        response = client.get(detail(consult))
        assert response.status_code == 404 and NOTE.encode() not in response.content


def test_the_overview_marks_consults_with_an_open_request(assistant_client, consult, asked, book):
    book(start=consult.start + timedelta(hours=1), end=consult.start + timedelta(hours=1, minutes=30))
    body = assistant_client.get(reverse("scheduling:dashboard") + "?days=7").content.decode()
    assert body.count("Another time asked") == 1


def test_the_day_agenda_marks_it_too(client, consult, asked, agent, book):
    book(start=consult.start + timedelta(hours=1), end=consult.start + timedelta(hours=1, minutes=30))
    client.force_login(agent)
    day = timezone.localdate(consult.start, consult.organisation.tzinfo)
    body = client.get(reverse("scheduling:agenda") + f"?date={day.isoformat()}").content.decode()
    assert body.count("Another time asked") == 1


def test_a_change_closes_the_request(assistant_client, consult, asked, edit):
    edit(consult, start=consult.start + timedelta(days=1), end=consult.end + timedelta(days=1))
    asked.refresh_from_db()
    assert asked.closed_at is not None
    assert NOTE not in assistant_client.get(detail(consult)).content.decode()
    assert "Another time asked" not in assistant_client.get(reverse("scheduling:dashboard")).content.decode()


def test_a_cancellation_closes_the_request(consult, asked, assistant):
    cancel_appointment(appointment=consult, cancelled_by=assistant)
    asked.refresh_from_db()
    assert asked.closed_at is not None


def test_a_notice_not_yet_sent_when_the_consult_changed_is_not_sent(consult, edit, agent):
    ask_for_another_time(participant=consult.participants.get(), note=NOTE)  # its notices stay queued
    mail.outbox.clear()
    edit(consult, subject="Intake (moved)")
    for notice in Notification.objects.filter(purpose=Purpose.TIME_REQUEST):
        assert send_notification(notification_id=notice.pk) == "cancelled"
    assert not [m for m in mail.outbox if "asks for another time" in m.subject]


def test_erasing_the_client_erases_the_note(consult, asked, organisation, assistant):
    erase_person(organisation=organisation, identifier="chris@example.org", erased_by=admin_of(organisation))
    asked.refresh_from_db()
    assert asked.note == ""


def test_the_retention_job_erases_the_note(consult, asked, organisation):
    erase_expired_for(organisation=organisation, now=consult.end + timedelta(days=organisation.retention_days + 1))
    asked.refresh_from_db()
    assert asked.note == "" and not TimeRequest.objects.exclude(note="").exists()


def test_the_organisation_admin_sets_whether_and_until_when(client, organisation):
    admin = admin_of(organisation)
    client.force_login(admin)
    url = reverse("admin:accounts_organisation_change", args=[organisation.pk])
    form = client.get(url).content.decode()
    assert 'name="clients_may_change"' in form and 'name="client_change_cutoff_hours"' in form
    data = {
        "name": organisation.name,
        "time_zone": organisation.time_zone,
        "default_language": organisation.default_language,
        "primary_colour": organisation.primary_colour,
        "retention_days": organisation.retention_days,
        "clients_may_change": "",
        "client_change_cutoff_hours": "48",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    organisation.refresh_from_db()
    assert organisation.client_change_cutoff_hours == 48 and not organisation.clients_may_change


def test_the_consult_page_says_which_client_cancelled(assistant_client, consult, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        cancel_by_client(participant=consult.participants.get())
    body = assistant_client.get(detail(consult)).content.decode()
    assert "by the client Chris Client (own link)" in body
