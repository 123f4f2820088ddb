"""The audit log: consults booked, changed, reassigned, cancelled, messages to waiting clients, consults
started and ended, and changes in the admin, each with who, when and from which address; append-only,
scoped to the organisation, filterable and exportable as CSV, without clients' names."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from audit.models import Action, AuditEvent
from notifications.models import ReminderRule
from scheduling.changes import cancel_consult
from scheduling.recurrence import Frequency, Pattern
from scheduling.services import cancel_appointment
from scheduling.values import Scope
from tests.factories import OrganisationFactory, admin_of, agent_of, email_participant
from waitingroom.services import end_consult, send_waiting_message, start_consult


@pytest.fixture
def org_admin(organisation):
    return admin_of(organisation, full_name="Ada Admin", email="ada@example.org")


def test_the_life_of_a_consult_is_recorded_without_the_clients_name(book, edit, assistant, agent, team, settings):
    appointment = book(email_participant(name="Chris Client"), subject="Intake")
    edit(appointment, start=appointment.start + timedelta(hours=1), end=appointment.end + timedelta(hours=1))
    other = agent_of(team, full_name="Dr. Bo Other")
    appointment.refresh_from_db()
    edit(appointment, agent=other)
    cancel_appointment(appointment=appointment, cancelled_by=assistant)
    events = list(AuditEvent.objects.order_by("pk"))
    assert [e.action for e in events] == [
        Action.CONSULT_BOOKED,
        Action.CONSULT_CHANGED,
        Action.CONSULT_REASSIGNED,
        Action.CONSULT_CANCELLED,
    ]
    assert {e.actor for e in events} == {assistant}
    assert events[1].changes_display == "time"
    assert events[2].changes_display == "agent"
    assert all(e.object_id == str(appointment.public_id) and e.organisation_id == team.organisation_id for e in events)
    assert all("Chris" not in e.summary and "Intake" in e.summary for e in events)


def test_messages_start_and_end_are_recorded_but_not_the_message_text(book, agent, tomorrow_at, settings):
    from django.utils import timezone

    appointment = book(start=timezone.now() + timedelta(minutes=5), end=timezone.now() + timedelta(minutes=35))
    send_waiting_message(appointment=appointment, sender=agent, text="Running late, Chris")
    start_consult(appointment=appointment, user=agent)
    appointment.refresh_from_db()
    end_consult(appointment=appointment, user=agent)
    events = list(AuditEvent.objects.exclude(action=Action.CONSULT_BOOKED).order_by("pk"))
    assert [e.action for e in events] == [Action.WAITING_MESSAGE, Action.CONSULT_STARTED, Action.CONSULT_ENDED]
    assert all(e.actor == agent for e in events)
    assert not AuditEvent.objects.filter(summary__icontains="late").exists()


def test_a_series_is_one_event_per_action(series, reminder, first_start, assistant):
    booked = series(first_start, Pattern(Frequency.WEEKLY, count=6))
    sessions = list(booked.occurrences.order_by("start"))
    cancel_consult(appointment=sessions[2], cancelled_by=assistant, scope=Scope.FOLLOWING)
    events = list(AuditEvent.objects.order_by("pk"))
    assert [(e.action, e.summary.endswith(suffix)) for e, suffix in zip(events, ["(+5)", "(+3)"], strict=True)] == [
        (Action.SERIES_BOOKED, True),
        (Action.CONSULT_CANCELLED, True),
    ]


def test_the_address_of_the_request_is_kept(assistant_client, form_data):
    assistant_client.post(reverse("scheduling:appointment-create"), form_data(), REMOTE_ADDR="198.51.100.23")
    assert AuditEvent.objects.get().ip_address == "198.51.100.23"


def test_admin_changes_to_branding_rules_and_users_are_recorded(client, organisation, org_admin, agent):
    client.force_login(org_admin)
    data = {
        "name": organisation.name,
        "time_zone": organisation.time_zone,
        "default_language": "nl",
        "primary_colour": "#aa0000",
        "sender_name": "Praktijk",
        "default_message_nl": "Welkom",
        "default_message_en": "",
        "invitation_text_nl": "",
        "invitation_text_en": "",
        "contact_email": "",
        "contact_phone": "",
        "retention_days": 90,
        "clients_may_change": "on",
        "client_change_cutoff_hours": 24,
    }
    url = reverse("admin:accounts_organisation_change", args=[organisation.pk])
    assert client.post(url, data, REMOTE_ADDR="192.0.2.44").status_code == 302
    client.post(reverse("admin:notifications_reminderrule_add"), {"amount": 2, "unit": "hours", "channel": "own"})
    rule = ReminderRule.objects.get()
    client.post(reverse("admin:notifications_reminderrule_delete", args=[rule.pk]), {"post": "yes"})
    client.post(
        reverse("admin:accounts_user_changelist"), {"action": "reset_two_factor", "_selected_action": [agent.pk]}
    )
    events = list(AuditEvent.objects.order_by("pk"))
    assert [e.action for e in events] == [
        Action.SETTING_CHANGED,
        Action.SETTING_ADDED,
        Action.SETTING_DELETED,
        Action.MFA_RESET,
    ]
    assert events[0].ip_address == "192.0.2.44" and events[0].actor == org_admin
    assert "Primary colour" in events[0].changes_display and "Sender name" in events[0].changes_display
    # Read by a Dutch admin, the field names are Dutch too (stored as the English form labels).
    with translation.override("nl"):
        dutch = events[0].changes_display
    assert "Hoofdkleur" in dutch and "Afzendernaam" in dutch and "Primary colour" not in dutch, dutch
    assert all(e.organisation_id == organisation.pk for e in events)


def test_the_log_is_append_only(book):
    book()
    event = AuditEvent.objects.get()
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.update(summary="changed")
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()


def test_admins_see_their_own_organisations_log_read_only_and_filter_it(client, book, org_admin):
    book()
    stranger_org = OrganisationFactory()
    from audit.services import record

    record(action=Action.CONSULT_BOOKED, actor="Someone else", summary="Elsewhere", organisation_id=stranger_org.pk)
    client.force_login(org_admin)
    url = reverse("admin:audit_auditevent_changelist")
    page = client.get(url)
    assert page.status_code == 200
    shown = list(page.context["cl"].queryset)
    assert [e.summary for e in shown if e.summary == "Elsewhere"] == []
    assert len(shown) == 1
    assert client.get(url, {"action__exact": Action.CONSULT_CANCELLED}).context["cl"].result_count == 0
    event = shown[0]
    # Compact columns: the person's name over their address; the network address on the event's own page.
    name, address = event.actor_name.removesuffix(">").split(" <")
    assert f'{name}<br><span class="audit-address">{address}</span>' in page.content.decode()
    change = client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert change.status_code == 200 and b'name="_save"' not in change.content
    assert client.post(reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403


def test_csv_export_follows_the_filters_and_defuses_formulas(client, book, org_admin, edit):
    appointment = book(subject="=HYPERLINK(evil)")
    edit(appointment, message="Changed")
    client.force_login(org_admin)
    response = client.get(reverse("admin:audit_auditevent_export"), {"action__exact": Action.CONSULT_CHANGED})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["when", "who", "action"]
    assert len(rows) == 2 and rows[1][2] == "Consult changed"
    assert rows[1][3].startswith("'=HYPERLINK")
    assert rows[1][4] == "message"


def test_others_cannot_read_the_log(client, assistant, organisation):
    client.force_login(assistant)
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 302
    assert client.get(reverse("admin:audit_auditevent_export")).status_code == 302
    stranger = admin_of(OrganisationFactory())
    client.force_login(stranger)
    from audit.services import record

    record(action=Action.CONSULT_BOOKED, actor="x", summary="Mine", organisation_id=organisation.pk)
    rows = list(csv.reader(io.StringIO(client.get(reverse("admin:audit_auditevent_export")).content.decode())))
    assert len(rows) == 1


def test_the_person_filter_names_nobody_of_another_organisation(client, book, org_admin):
    book()
    outsider = admin_of(OrganisationFactory(), full_name="Olga Outsider")
    from audit.services import record

    record(action=Action.CONSULT_BOOKED, actor=outsider, summary="Theirs", organisation_id=outsider.organisation_id)
    client.force_login(org_admin)
    page = client.get(reverse("admin:audit_auditevent_changelist")).content.decode()
    assert "Anna Assistant" in page and "Olga Outsider" not in page


def test_an_untouched_text_is_not_logged_as_changed(client, organisation, org_admin):
    organisation.invitation_text_nl = "Beste {client_name},\nTot straks."
    organisation.default_message_nl = "Welkom.\nTot dan."
    organisation.save()
    client.force_login(org_admin)
    data = {
        "name": organisation.name,
        "time_zone": organisation.time_zone,
        "default_language": "nl",
        "primary_colour": organisation.primary_colour,
        "sender_name": "Praktijk De Linde",
        # As a browser sends a textarea: CRLF line endings.
        "default_message_nl": "Welkom.\r\nTot dan.",
        "default_message_en": organisation.default_message_en,
        "invitation_text_nl": "Beste {client_name},\r\nTot straks.",
        "invitation_text_en": "",
        "contact_email": "",
        "contact_phone": "",
        "retention_days": 90,
        "clients_may_change": "on",
        "client_change_cutoff_hours": 24,
    }
    url = reverse("admin:accounts_organisation_change", args=[organisation.pk])
    assert client.post(url, data).status_code == 302
    event = AuditEvent.objects.get(action=Action.SETTING_CHANGED)
    assert event.changes_display == "Changed Sender name."
    organisation.refresh_from_db()
    assert organisation.default_message_nl == "Welkom.\nTot dan."
