"""The invitation email as the client receives it, previewed beside the invitation texts in the admin, in
Dutch and English, through the code that sends it; the preview leaves nothing behind."""

import pytest
from django.urls import reverse

from accounts.models import User
from scheduling.models import Appointment
from tests.factories import OrganisationFactory, admin_of


@pytest.fixture
def org_admin(organisation):
    return admin_of(organisation)


def preview_url(organisation, language: str) -> str:
    return reverse("admin:accounts_organisation_invitation_preview", args=[organisation.pk, language])


def test_the_organisation_page_frames_a_preview_per_language(client, organisation, org_admin):
    client.force_login(org_admin)
    page = client.get(reverse("admin:accounts_organisation_change", args=[organisation.pk]))
    html = page.content.decode()
    for language in ("nl", "en"):
        assert f'src="{preview_url(organisation, language)}"' in html
    directives = dict(d.strip().split(" ", 1) for d in page["Content-Security-Policy"].split(";") if d.strip())
    assert "'self'" in directives["frame-src"].split()


def test_the_preview_is_the_invitation_with_the_organisations_texts(client, organisation, org_admin):
    organisation.invitation_text_nl = "Wij zien u graag, {client_name}. Zorg voor een rustige plek."
    organisation.invitation_text_en = "We look forward to seeing you, {client_name}."
    organisation.default_message_nl = "Neem uw medicijnlijst mee."
    organisation.save()
    client.force_login(org_admin)
    users, consults = User.objects.count(), Appointment.objects.count()

    dutch = client.get(preview_url(organisation, "nl"))
    assert dutch.status_code == 200 and dutch["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in dutch["Content-Security-Policy"]
    text = dutch.content.decode()
    assert "Wij zien u graag, Wim de Groot. Zorg voor een rustige plek." in text
    assert "Neem uw medicijnlijst mee." in text
    assert text.count("Beste Wim de Groot,") == 1
    english = client.get(preview_url(organisation, "en")).content.decode()
    assert "We look forward to seeing you, Wim de Groot." in english and "Dear Wim de Groot," in english
    # The sample consult was never saved.
    assert (User.objects.count(), Appointment.objects.count()) == (users, consults)


def test_only_the_organisations_own_admin_sees_its_preview(client, organisation, assistant):
    client.force_login(admin_of(OrganisationFactory()))
    assert client.get(preview_url(organisation, "nl")).status_code in (302, 403, 404)
    client.force_login(assistant)
    assert client.get(preview_url(organisation, "nl")).status_code in (302, 403)
    assert client.get(preview_url(organisation, "xx")).status_code in (302, 403, 404)
