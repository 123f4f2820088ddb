"""What the assistant sees of delivery, and what she can do about a failed message; what the admin configures."""

from django.urls import reverse

from notifications.errors import DeliveryError
from notifications.models import DeliveryStatus, Notification, Reason, ReminderRule
from notifications.sms import locmem
from scheduling.services import ParticipantInput
from tests.factories import TeamFactory, admin_of, agent_of, assistant_of

from .conftest import email_participant, sms_participant


def _fail_sms(book):
    locmem.failures.append(DeliveryError("Twilio error 21211", permanent=True, reason=Reason.INVALID_ADDRESS))
    appointment = book(email_participant(), sms_participant())
    return appointment, Notification.objects.get(appointment=appointment, channel="sms")


def test_consult_page_shows_each_message_with_its_status_and_reason(assistant_client, book):
    appointment, _failed = _fail_sms(book)
    page = assistant_client.get(reverse("scheduling:appointment-detail", args=[appointment.public_id]))
    html = page.content.decode()
    assert html.count('class="delivery delivery--sent"') == 2  # agent and email participant
    assert 'class="delivery delivery--failed"' in html
    assert "The email address or mobile number does not exist." in html
    assert "Send again" in html


def test_the_agent_sees_delivery_but_cannot_send_again(client, book, agent):
    appointment, _failed = _fail_sms(book)
    client.force_login(agent)
    html = client.get(reverse("scheduling:appointment-detail", args=[appointment.public_id])).content.decode()
    assert 'class="delivery delivery--failed"' in html and "Send again" not in html


def test_send_again_goes_to_the_corrected_number(
    assistant_client, book, edit, sms_outbox, django_capture_on_commit_callbacks
):
    appointment, failed = _fail_sms(book)
    participant = failed.participant
    edit(
        appointment,
        participants=[
            email_participant(),
            ParticipantInput(
                name=participant.name, channel="sms", language="nl", phone="06 87654321", participant_id=participant.pk
            ),
        ],
        send=False,
    )
    detail = reverse("scheduling:appointment-detail", args=[appointment.public_id])
    with django_capture_on_commit_callbacks(execute=True):
        response = assistant_client.post(reverse("notifications:resend", args=[failed.public_id]), {"next": detail})
    assert response.status_code == 302 and response.url == detail
    failed.refresh_from_db()
    assert (failed.status, failed.to) == (DeliveryStatus.SENT, "+31687654321")
    assert sms_outbox[-1].to == "+31687654321"


def test_send_again_refuses_other_teams_and_unsafe_redirects(client, book, team, django_capture_on_commit_callbacks):
    _appointment, failed = _fail_sms(book)
    outsider = assistant_of(TeamFactory(organisation=team.organisation))
    client.force_login(outsider)
    assert client.post(reverse("notifications:resend", args=[failed.public_id])).status_code == 404
    assert client.get(reverse("notifications:resend", args=[failed.public_id])).status_code == 405

    client.force_login(assistant_of(team))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("notifications:resend", args=[failed.public_id]), {"next": "https://evil.example/"}
        )
    assert response.url == reverse("scheduling:appointment-detail", args=[failed.appointment.public_id])


def test_dashboard_warns_and_the_failed_list_shows_only_own_teams(assistant_client, book, team, client):
    _appointment, failed = _fail_sms(book)
    dashboard = assistant_client.get(reverse("scheduling:dashboard")).content.decode()
    assert "1 message could not be delivered." in dashboard
    listing = assistant_client.get(reverse("notifications:failed-list")).content.decode()
    assert failed.participant.name in listing and "Send again" in listing

    client.force_login(assistant_of(TeamFactory(organisation=team.organisation)))
    assert "could not be delivered" not in client.get(reverse("scheduling:dashboard")).content.decode()
    assert failed.participant.name not in client.get(reverse("notifications:failed-list")).content.decode()


def test_org_admin_adds_a_reminder_rule_for_own_agents_only(client, organisation, team):
    admin = admin_of(organisation)
    own_agent = agent_of(team)
    foreign_agent = agent_of(TeamFactory())
    client.force_login(admin)
    url = reverse("admin:notifications_reminderrule_add")
    form = client.get(url).content.decode()
    assert own_agent.full_name in form and foreign_agent.full_name not in form

    data = {"agent": "", "amount": "5", "unit": "minutes", "channel": "own"}
    assert client.post(url, data).status_code == 302
    rule = ReminderRule.objects.get()
    assert (rule.organisation, str(rule)) == (organisation, "5 minutes before (participant's own channel)")
    again = client.post(url, data)
    assert "This reminder already exists" in again.content.decode()
    assert ReminderRule.objects.count() == 1


def test_invitation_text_with_an_unknown_placeholder_is_refused(client, organisation):
    client.force_login(admin_of(organisation))
    url = reverse("admin:accounts_organisation_change", args=[organisation.pk])
    # The page explains the placeholders beside the texts it checks.
    assert "Placeholders for the invitation texts: {client_name}" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "name": organisation.name,
            "time_zone": organisation.time_zone,
            "default_language": "nl",
            "primary_colour": "#1f6f78",
            "invitation_text_nl": "Beste {client_name}, tot {datum}.",
        },
    )
    assert response.status_code == 200
    assert "Unknown placeholder(s): {datum}" in response.content.decode()
