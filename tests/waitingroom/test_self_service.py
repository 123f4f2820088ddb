"""The client's own page, by their link: cancel (after "Yes, cancel") or ask for another time, until the
organisation's cut-off; the link checked as the join link is; what everyone is sent and what the log says."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import Action, AuditEvent
from notifications.models import DeliveryStatus, Notification, Purpose
from scheduling.models import Status, TimeRequest
from tests.factories import assistant_of, email_participant


@pytest.fixture
def later(book):
    """Book a consult three days ahead (beyond the default cut-off of 24 hours)."""

    def make(*participants, **kwargs):
        start = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
        return book(*participants, start=start, end=start + timedelta(minutes=30), allow_conflicts=True, **kwargs)

    return make


@pytest.fixture
def consult(later):
    return later(email_participant(name="Chris Client", address="chris@example.org", language="nl"))


@pytest.fixture
def client_of(consult):
    return consult.participants.get()


def page(participant, lang: str = "") -> str:
    url = reverse("waitingroom:self-service", args=[participant.token])
    return f"{url}?lang={lang}" if lang else url


def cancel_page(participant) -> str:
    return reverse("waitingroom:self-service-cancel", args=[participant.token])


def to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address]]


def calendar_methods(message) -> list[str]:
    return [
        part.get_param("method")
        for part in message.message().walk()
        if part.get_content_type() == "text/calendar" and part.get_param("method")
    ]


def test_the_join_page_leads_to_the_page_in_the_clients_language(client, client_of):
    body = client.get(reverse("waitingroom:join", args=[client_of.token])).content.decode()
    assert f'{page(client_of)}?lang=nl"' in body
    assert "Kunt u niet komen? Annuleer of vraag een andere tijd" in body


def test_before_the_cut_off_the_page_offers_both_in_dutch_and_in_english(client, client_of):
    dutch = client.get(page(client_of)).content.decode()
    assert "Annuleer of vraag een andere tijd" in dutch
    assert "Vraag een andere tijd" in dutch and "Annuleer dit consult" in dutch
    assert cancel_page(client_of) in dutch
    english = client.get(page(client_of, "en")).content.decode()
    assert "Ask for another time" in english and "Cancel this consult" in english
    assert 'lang="en"' in english


def test_after_the_cut_off_the_page_says_until_when_and_whom_to_contact(client, book, organisation):
    organisation.contact_phone = "020 123 45 67"
    organisation.save()
    start = (timezone.now() + timedelta(hours=5)).replace(second=0, microsecond=0)
    participant = book(start=start, end=start + timedelta(minutes=30)).participants.get()
    deadline = timezone.localtime(start - timedelta(hours=24), organisation.tzinfo)
    body = client.get(page(participant, "en")).content.decode()
    until = f"Until {deadline:%A} {deadline.day} {deadline:%B} at {deadline:%H:%M}"
    assert f"{until} you could cancel or ask for another time on this page. Now, please contact us:" in body
    assert 'href="tel:020 123 45 67"' in body
    assert "Send request" not in body and cancel_page(participant) not in body
    # The cut-off is checked by the services too, not only by what the page shows.
    response = client.post(page(participant, "en"), {"note": "Next week please"})
    assert response.status_code == 400
    assert "This was possible until" in response.content.decode()
    assert not TimeRequest.objects.exists()
    assert client.post(cancel_page(participant)).status_code == 400
    participant.appointment.refresh_from_db()
    assert participant.appointment.status == Status.SCHEDULED


def test_a_cut_off_of_zero_hours_lets_the_client_change_until_the_start(client, book, organisation):
    organisation.client_change_cutoff_hours = 0
    organisation.save()
    start = (timezone.now() + timedelta(hours=2)).replace(second=0, microsecond=0)
    participant = book(start=start, end=start + timedelta(minutes=30)).participants.get()
    assert "Send request" in client.get(page(participant, "en")).content.decode()


def test_cancelling_asks_first_then_cancels_for_everyone_with_the_calendars_cancel(
    client, consult, client_of, team, agent, django_capture_on_commit_callbacks
):
    colleague = assistant_of(team, full_name="Bea Assistant")
    mail.outbox.clear()
    confirm = client.get(cancel_page(client_of) + "?lang=en").content.decode()
    assert "Cancel this consult?" in confirm and "Yes, cancel" in confirm and "No, keep it" in confirm
    consult.refresh_from_db()
    assert consult.status == Status.SCHEDULED  # asking is not doing

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(cancel_page(client_of) + "?lang=en")
    assert response.status_code == 302
    consult.refresh_from_db()
    assert consult.status == Status.CANCELLED
    assert consult.cancelled_by is None and consult.cancelled_by_participant == client_of
    # Everyone gets the cancellation with the calendar's CANCEL, as after a staff cancellation.
    (client_mail,) = to("chris@example.org")
    assert calendar_methods(client_mail) == ["CANCEL"]
    agent_mails = to(agent.email)
    assert sorted(calendar_methods(m)[0] if calendar_methods(m) else "" for m in agent_mails) == ["", "CANCEL"]
    # The agent and each assistant of the team are told that the client cancelled.
    for person in (agent, colleague, consult.booked_by):
        (notice,) = [m for m in to(person.email) if not calendar_methods(m)]
        assert notice.subject.startswith("Chris Client cancelled the consult of")
        assert reverse("scheduling:appointment-detail", args=[consult.public_id]) in notice.body
    # The page, and the join page, say so.
    after = client.get(response["Location"])
    assert after.status_code == 410
    assert "You cancelled it yourself" in after.content.decode()
    join = client.get(reverse("waitingroom:join", args=[client_of.token]) + "?lang=en")
    assert join.status_code == 410 and "You cancelled it yourself" in join.content.decode()
    # The log names the client by their place, not by name.
    event = AuditEvent.objects.get(action=Action.CLIENT_CANCELLED)
    assert event.actor is None and event.actor_name == "Cliënt 1 (eigen link)"
    assert "Chris" not in event.summary and event.object_id == str(consult.public_id)


def test_a_client_among_several_may_only_ask_for_another_time(client, later):
    consult = later(email_participant(name="Ann", address="ann@example.org"), email_participant(name="Bob"))
    ann = consult.participants.get(name="Ann")
    body = client.get(page(ann, "en")).content.decode()
    assert "Others take part in this consult too, so you cannot cancel it here" in body
    assert cancel_page(ann) not in body and "Send request" in body
    assert client.get(cancel_page(ann))["Location"].startswith(page(ann))
    response = client.post(cancel_page(ann) + "?lang=en")
    assert response.status_code == 400 and "Others take part in this consult too" in response.content.decode()
    consult.refresh_from_db()
    assert consult.status == Status.SCHEDULED


def test_asking_for_another_time_keeps_the_consult_and_tells_the_agent_and_assistants(
    client, consult, client_of, team, agent, django_capture_on_commit_callbacks
):
    colleague = assistant_of(team, full_name="Bea Assistant")
    other_team_assistant = assistant_of(consult.team.organisation.teams.create(name="Elsewhere"))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(page(client_of, "en"), {"note": "Tuesdays after 14:00 suit me better."})
    assert response.status_code == 302
    consult.refresh_from_db()
    assert consult.status == Status.SCHEDULED and not to("chris@example.org")
    edit_url = reverse("scheduling:appointment-edit", args=[consult.public_id])
    for person in (agent, colleague, consult.booked_by):
        (notice,) = to(person.email)
        assert notice.subject.startswith("Chris Client asks for another time than")
        assert "Tuesdays after 14:00 suit me better." in notice.body and edit_url in notice.body
        assert "Tuesdays after 14:00 suit me better." in notice.alternatives[0][0]
        assert not calendar_methods(notice)
    assert not to(other_team_assistant.email)
    shown = client.get(response["Location"]).content.decode()
    assert "Your request has been sent" in shown and "Tuesdays after 14:00 suit me better." in shown
    event = AuditEvent.objects.get(action=Action.TIME_REQUESTED)
    assert event.actor_name == "Cliënt 1 (eigen link)" and "Tuesdays" not in event.summary + event.changes

    # Asking again replaces the note: one open request, and the staff hear of the new note.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(page(client_of, "en"), {"note": "Or Friday morning."})
    (request,) = TimeRequest.objects.all()
    assert request.note == "Or Friday morning." and request.closed_at is None
    assert "Or Friday morning." in to(agent.email)[0].body
    assert Notification.objects.filter(purpose=Purpose.TIME_REQUEST, status=DeliveryStatus.SENT).count() == 6


def test_the_note_is_required_and_at_most_500_characters(client, client_of):
    empty = client.post(page(client_of, "en"), {"note": "   "})
    assert empty.status_code == 400
    assert "Write which days or times would suit you" in empty.content.decode()
    too_long = "x" * 501
    response = client.post(page(client_of, "nl"), {"note": too_long})
    assert response.status_code == 400
    body = response.content.decode()
    assert too_long in body  # nothing typed is lost
    assert "500" in body and 'aria-invalid="true"' in body and "autofocus" in body
    assert not TimeRequest.objects.exists()


def test_links_that_do_not_work_are_refused_as_the_join_link_is(client, later, book, consult, client_of):
    other = later().participants.get()
    # An unknown token: not found, and counted like a guessed join link.
    assert client.get(reverse("waitingroom:self-service", args=["x" * 22])).status_code == 404
    # A token acts on its own consult only.
    client.post(cancel_page(other))
    consult.refresh_from_db()
    assert consult.status == Status.SCHEDULED
    # Expired: the join link's page, and nothing is written.
    expired = later().participants.get()
    expired.appointment.start = timezone.now() - timedelta(hours=3)
    expired.appointment.end = expired.appointment.start + timedelta(minutes=30)
    expired.appointment.save()
    response = client.post(page(expired, "en"), {"note": "Another day"})
    assert response.status_code == 410 and "This link has expired" in response.content.decode()
    assert not TimeRequest.objects.exists()
    # Cancelled by the staff: the cancelled page, for the page and for its POSTs.
    cancelled = later().participants.get()
    cancelled.appointment.status = Status.CANCELLED
    cancelled.appointment.cancelled_at = timezone.now()
    cancelled.appointment.save()
    assert client.get(page(cancelled, "en")).status_code == 410
    assert client.post(cancel_page(cancelled)).status_code == 410
    assert "has been cancelled" in client.post(page(cancelled, "en"), {"note": "x"}).content.decode()
    assert not TimeRequest.objects.exists()
    # A participant taken off the consult: their link is unknown now.
    client_of.removed_at = timezone.now()
    client_of.save()
    assert client.get(page(client_of)).status_code == 404


def test_too_many_changes_from_one_address_get_too_many_attempts(client, client_of):
    for _ in range(10):
        assert client.post(page(client_of, "en"), {"note": ""}).status_code == 400
    response = client.post(page(client_of, "en"), {"note": "Friday"})
    assert response.status_code == 429 and response["Retry-After"] == "600"
    assert not TimeRequest.objects.exists()


def test_the_forms_need_the_csrf_token(client_of):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(page(client_of), {"note": "Friday"}).status_code == 403
    assert strict.post(cancel_page(client_of)).status_code == 403
    assert not TimeRequest.objects.exists()


def test_an_organisation_that_does_not_offer_it_gives_its_contact_details(client, consult, client_of, organisation):
    organisation.clients_may_change = False
    organisation.contact_email = "balie@example.nl"
    organisation.save()
    assert (
        "Can you not come?"
        not in client.get(reverse("waitingroom:join", args=[client_of.token]) + "?lang=en").content.decode()
    )
    body = client.get(page(client_of, "en")).content.decode()
    assert "please contact us" in body and "mailto:balie@example.nl" in body and "Send request" not in body
    assert client.post(cancel_page(client_of)).status_code == 400
    consult.refresh_from_db()
    assert consult.status == Status.SCHEDULED


def test_a_client_cancels_one_session_of_a_series_only(
    client, series, first_start, reminder, django_capture_on_commit_callbacks
):
    from scheduling.recurrence import Frequency, Pattern

    booked = series(first_start, Pattern(Frequency.WEEKLY, count=3), email_participant())
    second = booked.occurrences.order_by("start")[1]
    participant = second.participants.get()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(cancel_page(participant)).status_code == 302
    statuses = [s.status for s in type(second).objects.filter(series=second.series).order_by("start")]
    assert statuses == [Status.SCHEDULED, Status.CANCELLED, Status.SCHEDULED]


def test_the_invitation_email_leads_to_the_page_until_the_cut_off(consult, client_of, later, book, organisation):
    (invitation,) = to("chris@example.org")
    html = invitation.alternatives[0][0]
    assert client_of.self_service_url in invitation.body and client_of.self_service_url in html
    assert "kunt u hier annuleren of een andere tijd vragen" in invitation.body
    # With other clients it offers asking for another time only.
    mail.outbox.clear()
    several = later(email_participant(name="Ann", address="ann@example.org"), email_participant(name="Bob"))
    (ann_mail,) = to("ann@example.org")
    assert several.participants.get(name="Ann").self_service_url in ann_mail.body
    assert "you can ask for another time here:" in ann_mail.body and "cancel or ask" not in ann_mail.body
    # Within the cut-off, or when the organisation does not offer it, there is no such link.
    mail.outbox.clear()
    start = (timezone.now() + timedelta(hours=5)).replace(second=0, microsecond=0)
    book(email_participant(address="soon@example.org"), start=start, end=start + timedelta(minutes=30))
    assert "/change/" not in to("soon@example.org")[0].body
    organisation.clients_may_change = False
    organisation.save()
    mail.outbox.clear()
    later(email_participant(address="off@example.org"))
    assert "/change/" not in to("off@example.org")[0].body
