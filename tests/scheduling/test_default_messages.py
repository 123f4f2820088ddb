"""One language per message: the organisation's default message is kept per language; left as pre-filled,
each participant receives it in their own language, and a typed message reaches everyone as typed. The
booking form says under each participant which one they receive."""

import importlib
from datetime import UTC, datetime

import pytest
from django.apps import apps
from django.core import mail
from django.urls import reverse

from accounts.models import Organisation
from scheduling.models import Appointment
from tests.factories import admin_of

URL = reverse("scheduling:appointment-create")
DUTCH = "Fijn dat u kunt komen.\nHoud uw verzekeringspas bij de hand."
ENGLISH = "We look forward to seeing you.\nKeep your insurance card at hand."
TWO_LANGUAGES = [
    {"name": "Jan Peters", "email": "jan@example.org", "language": "nl"},
    {"name": "Fatima El Amrani", "email": "fatima@example.org", "language": "en"},
]


@pytest.fixture
def defaults(organisation):
    organisation.default_message_nl, organisation.default_message_en = DUTCH, ENGLISH
    organisation.save()
    return organisation


@pytest.fixture
def post(assistant_client, django_capture_on_commit_callbacks):
    def send(data):
        with django_capture_on_commit_callbacks(execute=True):
            return assistant_client.post(URL, data)

    return send


def _to(address: str):
    (message,) = [m for m in mail.outbox if m.to == [address]]
    calendar = next(content for content, kind in message.alternatives if kind.startswith("text/calendar"))
    return message.body, calendar


def _unfolded(calendar: str) -> str:
    return calendar.replace("\r\n ", "").replace("\\n", "\n").replace("\\,", ",").replace("\\;", ";")


def test_an_untouched_default_reaches_each_participant_in_their_own_language(defaults, form_data, post):
    # As a browser sends a textarea: CRLF line ends.
    response = post(form_data(TWO_LANGUAGES, message=DUTCH.replace("\n", "\r\n") + "\r\n"))
    assert response.status_code == 302
    assert Appointment.objects.get().uses_default_message
    dutch_text, dutch_invite = _to("jan@example.org")
    english_text, english_invite = _to("fatima@example.org")
    assert DUTCH in dutch_text and "We look forward" not in dutch_text
    assert ENGLISH in english_text and "Fijn dat u" not in english_text
    assert "We look forward to seeing you." in _unfolded(english_invite) and "Fijn" not in english_invite
    assert "Fijn dat u kunt komen." in _unfolded(dutch_invite)


def test_a_typed_message_reaches_everyone_as_typed(defaults, form_data, post):
    post(form_data(TWO_LANGUAGES, message="Please bring your referral letter."))
    assert not Appointment.objects.get().uses_default_message
    for address in ("jan@example.org", "fatima@example.org"):
        text, _invite = _to(address)
        assert "Please bring your referral letter." in text
        assert "Fijn dat u" not in text and "We look forward" not in text


def test_without_an_english_default_an_english_participant_gets_no_message(defaults, form_data, post):
    defaults.default_message_en = ""
    defaults.save()
    post(form_data(TWO_LANGUAGES, message=DUTCH))
    assert DUTCH in _to("jan@example.org")[0]
    assert "Fijn dat u" not in _to("fatima@example.org")[0]


def test_the_form_tells_under_each_participant_which_message_they_receive(assistant_client, defaults, form_data):
    page = assistant_client.get(URL).content.decode()
    assert "Receives the organisation&#x27;s Dutch default message: “Fijn dat u kunt komen. Houd uw" in page

    # A mistake elsewhere: the page comes back with what was typed and a note for each language.
    page = assistant_client.post(URL, form_data(TWO_LANGUAGES, message=DUTCH, subject="")).content.decode()
    assert "Receives the organisation&#x27;s Dutch default message: “Fijn dat u" in page
    assert "Receives the organisation&#x27;s English default message: “We look forward" in page
    assert "Fijn dat u kunt komen.\nHoud uw verzekeringspas bij de hand.</textarea>" in page

    page = assistant_client.post(URL, form_data(TWO_LANGUAGES, message="My own words.", subject="")).content.decode()
    assert page.count('aria-live="polite">Receives your message as you typed it.</p>') == 2
    assert "My own words.</textarea>" in page

    defaults.default_message_en = ""
    defaults.save()
    page = assistant_client.post(URL, form_data(TWO_LANGUAGES, message=DUTCH, subject="")).content.decode()
    assert "Receives no message: the organisation has no English default message." in page


def test_the_form_prefills_the_default_of_the_organisations_language(assistant_client, defaults):
    defaults.default_language = "en"
    defaults.save()
    form = assistant_client.get(URL).context["form"]
    assert form["message"].value() == ENGLISH


def test_saving_a_default_unchanged_keeps_it_per_language_even_after_the_default_was_reworded(
    assistant_client, defaults, form_data, post
):
    post(form_data(TWO_LANGUAGES, message=DUTCH))
    appointment = Appointment.objects.get()
    defaults.default_message_nl = "Welkom bij De Linde."
    defaults.save()
    edit_url = reverse("scheduling:appointment-edit", args=[appointment.public_id])
    # The edit form shows the default as it is now, so that saving it unchanged keeps it the default.
    assert assistant_client.get(edit_url).context["form"]["message"].value() == "Welkom bij De Linde."
    appointment.refresh_from_db()
    assert appointment.message_for("nl") == "Welkom bij De Linde." and appointment.message_for("en") == ENGLISH


def test_the_admin_edits_a_default_message_per_language(client, defaults):
    client.force_login(admin_of(defaults))
    url = reverse("admin:accounts_organisation_change", args=[defaults.pk])
    page = client.get(url).content.decode()
    assert 'name="default_message_nl"' in page and 'name="default_message_en"' in page
    data = {
        "name": defaults.name,
        "time_zone": defaults.time_zone,
        "default_language": "nl",
        "primary_colour": "#1f6f78",
        "retention_days": "90",
        "clients_may_change": "on",
        "client_change_cutoff_hours": "24",
        "default_message_nl": "Tot straks.",
        "default_message_en": "See you soon.",
    }
    assert client.post(url, data).status_code == 302
    defaults.refresh_from_db()
    assert (defaults.default_message_nl, defaults.default_message_en) == ("Tot straks.", "See you soon.")


def test_the_migration_moves_an_english_organisations_one_message_to_english(organisation, team, agent, assistant):
    migration = importlib.import_module("accounts.migrations.0006_default_message_per_language")
    english = Organisation.objects.create(name="Clinic", default_language="en", default_message_nl="Welcome")
    migration.to_its_language(apps, None)
    english.refresh_from_db()
    organisation.refresh_from_db()
    assert (english.default_message_nl, english.default_message_en) == ("", "Welcome")
    assert organisation.default_message_nl == "Welkom bij uw videoconsult."  # a Dutch one stays Dutch

    marking = importlib.import_module("scheduling.migrations.0005_uses_default_message")
    booked = Appointment.objects.create(
        organisation=organisation,
        team=team,
        agent=agent,
        booked_by=assistant,
        start=datetime(2030, 1, 1, 10, 0, tzinfo=UTC),
        end=datetime(2030, 1, 1, 10, 30, tzinfo=UTC),
        subject="Intake",
        message="Welkom bij uw videoconsult.",
    )
    marking.mark_defaults(apps, None)
    booked.refresh_from_db()
    assert booked.uses_default_message
