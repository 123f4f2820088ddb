"""The booking form as the assistant uses it: every bad input gets a message and keeps what was typed."""

import pytest
from django.urls import reverse

from accounts.models import Role
from scheduling.models import Appointment
from tests.factories import MembershipFactory, TeamFactory, agent_of

URL = reverse("scheduling:appointment-create")


def test_form_is_prefilled_with_default_message_and_only_team(assistant_client, organisation, team, agent):
    response = assistant_client.get(URL)
    assert response.status_code == 200
    form = response.context["form"]
    assert form["message"].value() == organisation.default_message_nl  # the organisation's language
    assert form["team"].value() == team.pk
    assert form.team_agents == [(team, [agent])]
    assert b"Send invitation" in response.content


def test_valid_booking_redirects_to_the_consult(assistant_client, form_data, tomorrow_at):
    response = assistant_client.post(URL, form_data(confirm_conflicts=""))
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("scheduling:appointment-detail", args=[appointment.public_id])
    assert (appointment.start, appointment.end) == (tomorrow_at(10), tomorrow_at(10, 30))
    detail = assistant_client.get(response["Location"])
    assert b"Jan Peters" in detail.content
    assert appointment.participants.get().join_url.encode() in detail.content


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"date": ""}, "date", "This field is required."),
        ({"date": "31-02-2026"}, "date", "Enter a valid date."),
        ({"start_time": "25:00"}, "start_time", "Enter a valid time."),
        ({"end_time": "09:30"}, "end_time", "The end time must be after the start time."),
        ({"end_time": "10:00"}, "end_time", "The end time must be after the start time."),
        ({"date": "2020-01-01"}, "start_time", "The start time is in the past."),
        ({"start_time": "06:00", "end_time": "18:30"}, "end_time", "A consult lasts at most 12 hours."),
        ({"team": ""}, "team", "This field is required."),
        ({"agent": ""}, "agent", "This field is required."),
        ({"subject": ""}, "subject", "This field is required."),
        ({"message": ""}, "message", "This field is required."),
    ],
)
def test_bad_field_gets_message_and_form_keeps_input(assistant_client, form_data, overrides, field, message):
    data = form_data(**overrides)
    response = assistant_client.post(URL, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert message in form.errors[field]
    # Everything typed comes back, including the participant rows.
    assert form["subject"].value() == data["subject"]
    assert response.context["participants"].forms[0]["name"].value() == "Jan Peters"
    assert not Appointment.objects.exists()


def test_agent_of_another_team_is_refused(assistant_client, form_data, team):
    other = agent_of(TeamFactory(organisation=team.organisation), full_name="Other Agent")
    response = assistant_client.post(URL, form_data(agent=str(other.pk)))
    assert response.context["form"].errors["agent"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]


def test_agent_of_a_second_bookable_team_is_refused_for_the_first(assistant_client, form_data, team, assistant):
    second = TeamFactory(organisation=team.organisation)
    assistant.memberships.create(team=second, role="assistant")
    other = agent_of(second, full_name="Other Agent")
    response = assistant_client.post(URL, form_data(agent=str(other.pk)))
    assert response.context["form"].errors["agent"] == [f"Other Agent is not an agent of team {team.name}."]
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"email": ""}, "email", "An invitation by email needs an email address."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"channel": "sms"}, "phone", "An invitation by SMS needs a mobile number."),
        ({"channel": "sms", "phone": "0612"}, "phone", "This is not a valid phone number."),
        ({"channel": "sms", "phone": "abc"}, "phone", "Enter a mobile number, e.g. 06 12345678 or +31 6 12345678."),
        (
            {"channel": "sms", "phone": "020 1234567"},
            "phone",
            "This is not a mobile number; an SMS needs one, e.g. 06 12345678.",
        ),
        ({"channel": "fax"}, "channel", "Select a valid choice. fax is not one of the available choices."),
    ],
)
def test_bad_participant_gets_message_next_to_the_field(assistant_client, form_data, row, field, message):
    values = {"name": "Jan Peters", "email": "jan@example.org", **row}
    response = assistant_client.post(URL, form_data(participants=[values]))
    participant_form = response.context["participants"].forms[0]
    assert participant_form.errors[field] == [message]
    assert participant_form["name"].value() == values["name"]
    assert not Appointment.objects.exists()


def test_time_and_participant_mistakes_are_shown_together(assistant_client, form_data):
    data = form_data(
        participants=[{"name": "Jan", "channel": "sms", "phone": "020 1234567"}], start_time="14:00", end_time="13:00"
    )
    response = assistant_client.post(URL, data)
    assert response.context["form"].errors["end_time"] == ["The end time must be after the start time."]
    assert response.context["participants"].forms[0].errors["phone"] == [
        "This is not a mobile number; an SMS needs one, e.g. 06 12345678."
    ]


def test_dutch_mobile_is_stored_in_e164(assistant_client, form_data):
    assistant_client.post(URL, form_data(participants=[{"name": "Noor", "channel": "sms", "phone": "06 12345678"}]))
    assert Appointment.objects.get().participants.get().phone == "+31612345678"


def test_no_participants_is_refused(assistant_client, form_data):
    data = form_data(participants=[{"name": "Jan", "email": "jan@example.org", "DELETE": "on"}])
    response = assistant_client.post(URL, data)
    assert response.context["participants"].non_form_errors() == ["Add at least one participant."]
    assert not Appointment.objects.exists()


def test_more_than_ten_participants_is_refused(assistant_client, form_data):
    rows = [{"name": f"Client {i}", "email": f"c{i}@example.org"} for i in range(11)]
    response = assistant_client.post(URL, form_data(participants=rows))
    assert response.context["participants"].non_form_errors() == ["A consult has at most 10 participants."]
    assert not Appointment.objects.exists()


def test_add_participant_button_without_javascript_adds_a_row(assistant_client, form_data):
    response = assistant_client.post(URL, form_data(add_participant="1"))
    assert len(response.context["participants"].forms) == 2
    assert response.context["participants"].forms[0]["name"].value() == "Jan Peters"
    assert not Appointment.objects.exists()


def test_conflict_is_shown_and_booking_anyway_needs_confirmation(assistant_client, form_data):
    assistant_client.post(URL, form_data())
    response = assistant_client.post(URL, form_data(subject="Second"))
    assert response.status_code == 200
    assert [c.public_id for c in response.context["conflicts"]] == [Appointment.objects.get().public_id]
    assert "The agent already has a consult at this time." in response.context["form"].errors["confirm_conflicts"]
    assert b"Book anyway" in response.content
    response = assistant_client.post(URL, form_data(subject="Second", confirm_conflicts="on"))
    assert response.status_code == 302
    assert Appointment.objects.count() == 2


def test_user_without_assistant_role_cannot_book(client, agent):
    client.force_login(agent)
    response = client.get(URL)
    assert response.status_code == 403
    assert b"You are not an assistant of any team" in response.content


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_form_is_shown_in_dutch(assistant_client):
    response = assistant_client.get(URL, headers={"accept-language": "nl"})
    assert "Uitnodiging versturen" in response.content.decode()


def test_the_built_in_rooms_take_at_most_five_people_and_the_form_says_so(assistant_client, form_data, agent):
    from videoproviders.models import AgentVideoAccount

    AgentVideoAccount.objects.create(agent=agent, provider="builtin")
    five = [{"name": f"Client {i}", "email": f"c{i}@example.org"} for i in range(5)]
    response = assistant_client.post(URL, form_data(participants=five))
    assert response.status_code == 200
    assert response.context["participants"].non_form_errors() == [
        "Built-in video rooms take at most 5 people: the agent and 4 participants. "
        "Split the consult, or ask an admin for a video service that holds more (Whereby)."
    ]
    assert response.context["form"]["subject"].value() == "Intake"
    assert not Appointment.objects.exists()
    response = assistant_client.post(URL, form_data(participants=five[:4]))
    assert response.status_code == 302


def test_the_team_select_offers_the_teams_the_assistant_books_for_and_refuses_others(
    assistant_client, form_data, team, assistant
):
    second = TeamFactory(organisation=team.organisation, name="Zuid")
    assistant.memberships.create(team=second, role="assistant")
    elsewhere = TeamFactory(organisation=team.organisation, name="Elders")
    page = assistant_client.get(URL).content.decode()
    select = page[page.index('<select name="team"') : page.index("</select>", page.index('<select name="team"'))]
    assert [name for name in ("Choose a team", team.name, "Zuid", "Elders") if name in select] == [
        "Choose a team",
        team.name,
        "Zuid",
    ]
    response = assistant_client.post(URL, form_data(team=str(elsewhere.pk)))
    assert "team" in response.context["form"].errors
    assert not Appointment.objects.exists()


def test_a_team_without_agents_says_so_in_dutch(assistant_client, assistant, organisation):
    # The text once sat inside an f-string, where `make messages` did not find it and dropped its translation.
    empty = TeamFactory(organisation=organisation, name="Leeg team")
    MembershipFactory(user=assistant, team=empty, role=Role.ASSISTANT)
    response = assistant_client.get(URL, HTTP_ACCEPT_LANGUAGE="nl")
    assert "<option disabled>Geen behandelaars in dit team</option>" in response.content.decode()
