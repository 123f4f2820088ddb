"""An assistant books, changes and cancels a consult in the browser; the client's link follows along."""

import re

from django.utils import timezone

from scheduling.models import Appointment, Status
from tests.e2e.conftest import check_accessibility, log_in


def test_assistant_books_changes_and_cancels_a_consult(page, phone_page, assistant, agent, password, tomorrow_at):
    log_in(page, assistant.email, password)
    page.click("text=+ New consult")
    check_accessibility(page)
    page.fill("#id_date", tomorrow_at(0).date().isoformat())
    page.fill("#id_start_time", "10:00")
    page.fill("#id_end_time", "10:20")
    page.select_option("#id_team", str(agent.memberships.get().team_id))
    page.select_option("#id_agent", str(agent.pk))
    page.fill("#id_subject", "Intake")

    # First participant by email; a second one added with the button, invited by SMS.
    page.fill("#id_participants-0-name", "Jan Peters")
    page.fill("#id_participants-0-email", "jan@example.org")
    page.click("[data-add-participant]")
    page.fill("#id_participants-1-name", "Noor Yilmaz")
    page.select_option("#id_participants-1-channel", "sms")
    assert page.is_hidden("#id_participants-1-email")
    page.fill("#id_participants-1-phone", "06 1234")  # too short: refused, nothing lost
    page.click("button[name=save]")
    assert page.locator(".field__error").first.inner_text() == "This is not a valid phone number."
    assert page.input_value("#id_participants-0-name") == "Jan Peters"
    assert page.input_value("#id_subject") == "Intake"
    check_accessibility(page)  # the form with its error

    page.fill("#id_participants-1-phone", "06 12345678")
    page.click("button[name=save]")
    page.wait_for_url(re.compile(r"/consults/[0-9a-f-]+/$"))
    assert "The consult has been booked; the invitations are on their way" in page.inner_text(".messages")
    appointment = Appointment.objects.get()
    assert [p.phone for p in appointment.participants.all()] == ["", "+31612345678"]
    check_accessibility(page)

    # The client opens the link on a phone.
    link = page.input_value(".copyfield input >> nth=0")
    phone_page.goto(link)
    # Participants get the organisation's language unless the assistant picks another.
    assert phone_page.inner_text("h1") == "Welkom, Jan Peters"
    check_accessibility(phone_page)

    # Change the time: the form comes back filled in, the sequence rises.
    page.click(".pagehead__actions >> text=Change")
    assert page.input_value("#id_start_time") == "10:00"
    check_accessibility(page)
    page.fill("#id_start_time", "11:00")
    page.fill("#id_end_time", "11:30")
    page.click("button[name=save]")
    page.wait_for_url(re.compile(r"/consults/[0-9a-f-]+/$"))
    appointment.refresh_from_db()
    assert timezone.localtime(appointment.start, appointment.organisation.tzinfo).hour == 11
    assert appointment.sequence == 1

    # Cancel after the explicit confirmation; the client's link stops working.
    page.click("text=Cancel consult")
    check_accessibility(page)
    page.click("text=Yes, cancel")
    page.wait_for_url(re.compile(r"/consults/[0-9a-f-]+/$"))
    appointment.refresh_from_db()
    assert appointment.status == Status.CANCELLED
    check_accessibility(page)
    phone_page.goto(link)
    assert phone_page.inner_text("h1") == "Dit consult is geannuleerd"
    check_accessibility(phone_page)


def test_agent_choice_follows_the_team(page, assistant, team, agent, password):
    from tests.factories import TeamFactory, agent_of

    second = TeamFactory(organisation=team.organisation, name="Second team")
    assistant.memberships.create(team=second, role="assistant")
    other = agent_of(second, full_name="Other Agent")
    log_in(page, assistant.email, password)
    page.goto("/consults/new/")
    check_accessibility(page)
    page.select_option("#id_team", str(team.pk))
    visible = page.locator("#id_agent optgroup:not([hidden]) option").all_inner_texts()
    assert visible == [agent.full_name]
    page.select_option("#id_team", str(second.pk))
    visible = page.locator("#id_agent optgroup:not([hidden]) option").all_inner_texts()
    assert visible == [other.full_name]
