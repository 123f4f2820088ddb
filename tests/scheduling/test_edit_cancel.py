import pytest
from django.urls import reverse

from scheduling.models import Appointment, Channel, Status
from scheduling.services import ParticipantInput, book_appointment


@pytest.fixture
def appointment(assistant, agent, team, tomorrow_at):
    return book_appointment(
        booked_by=assistant,
        team=team,
        agent=agent,
        start=tomorrow_at(9),
        end=tomorrow_at(9, 30),
        subject="Intake",
        message="Hello",
        participants=[
            ParticipantInput(name="Jan", channel=Channel.EMAIL, language="nl", email="jan@example.org"),
            ParticipantInput(name="Piet", channel=Channel.LINK, language="en"),
        ],
    )


def edit_post(appointment: Appointment, **overrides) -> dict:
    jan, piet = appointment.participants.all()
    data = {
        "date": appointment.start.astimezone(appointment.organisation.tzinfo).strftime("%Y-%m-%d"),
        "start_time": "11:00",
        "end_time": "11:45",
        "team": appointment.team_id,
        "agent": appointment.agent_id,
        "subject": "Intake (moved)",
        "message": "Hello again",
        "sequence": appointment.sequence,
        "participants-TOTAL_FORMS": 2,
        "participants-INITIAL_FORMS": 2,
        "participants-MIN_NUM_FORMS": 1,
        "participants-MAX_NUM_FORMS": 10,
        "participants-0-participant_id": jan.pk,
        "participants-0-name": "Jan",
        "participants-0-channel": "email",
        "participants-0-email": "jan@example.org",
        "participants-0-language": "nl",
        "participants-1-participant_id": piet.pk,
        "participants-1-name": "Piet",
        "participants-1-channel": "link",
        "participants-1-language": "en",
    }
    data.update(overrides)
    return data


def test_edit_form_is_prefilled_with_the_consult(assistant_client, appointment):
    response = assistant_client.get(reverse("scheduling:appointment-edit", args=[appointment.public_id]))
    form = response.context["form"]
    assert form["start_time"].value().strftime("%H:%M") == "09:00"
    assert form["subject"].value() == "Intake"
    names = [f["name"].value() for f in response.context["participants"].forms]
    assert names == ["Jan", "Piet"]
    assert b"Save and send update" in response.content


def test_edit_moves_the_consult_and_raises_sequence(assistant_client, appointment, tomorrow_at):
    url = reverse("scheduling:appointment-edit", args=[appointment.public_id])
    response = assistant_client.post(url, edit_post(appointment, **{"participants-1-DELETE": "on"}))
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.start, appointment.end, appointment.sequence) == (tomorrow_at(11), tomorrow_at(11, 45), 1)
    assert [p.name for p in appointment.participants.active()] == ["Jan"]


def test_second_editor_is_refused_and_keeps_typed_changes(assistant_client, appointment):
    url = reverse("scheduling:appointment-edit", args=[appointment.public_id])
    first = edit_post(appointment)
    second = edit_post(appointment, subject="My other change", start_time="15:00", end_time="15:30")
    assert assistant_client.post(url, first).status_code == 302
    response = assistant_client.post(url, second)
    assert response.status_code == 200
    assert "Someone else changed this consult" in response.context["form"].non_field_errors()[0]
    assert response.context["form"]["subject"].value() == "My other change"
    assert response.context["latest"].subject == "Intake (moved)"
    appointment.refresh_from_db()
    assert appointment.subject == "Intake (moved)"
    # The refused save may be repeated knowingly: the form now carries the latest sequence.
    assert response.context["sequence_value"] == 1
    assert assistant_client.post(url, {**second, "sequence": 1}).status_code == 302
    appointment.refresh_from_db()
    assert appointment.subject == "My other change"


def test_cancel_asks_for_confirmation_then_cancels(assistant_client, appointment):
    url = reverse("scheduling:appointment-cancel", args=[appointment.public_id])
    page = assistant_client.get(url)
    assert b"Yes, cancel" in page.content
    appointment.refresh_from_db()
    assert appointment.status == Status.SCHEDULED
    response = assistant_client.post(url)
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == Status.CANCELLED
    detail = assistant_client.get(response["Location"])
    assert b"The link no longer works: the consult is cancelled." in detail.content


def test_cancelled_consult_cannot_be_edited_through_the_page(assistant_client, appointment):
    assistant_client.post(reverse("scheduling:appointment-cancel", args=[appointment.public_id]))
    url = reverse("scheduling:appointment-edit", args=[appointment.public_id])
    response = assistant_client.post(url, edit_post(appointment))
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.subject == "Intake"


def test_cancel_only_by_post(assistant_client, appointment):
    url = reverse("scheduling:appointment-cancel", args=[appointment.public_id])
    assert assistant_client.put(url).status_code == 405
