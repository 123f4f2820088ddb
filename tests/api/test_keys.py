"""API keys: made and revoked by the organisation's admin in the admin (audited, shown once, stored hashed),
and what the API answers without a working key or with a read-only one."""

import hashlib
import re

import pytest
from django.test import Client
from django.urls import reverse

from api.models import ApiKey
from audit.models import Action, AuditEvent
from scheduling.models import Appointment
from tests.api.conftest import ApiClient
from tests.factories import OrganisationFactory, UserFactory, admin_of


@pytest.fixture
def org_admin(organisation):
    return admin_of(organisation, full_name="Ada Admin")


def _make_in_admin(client, org_admin, user, scope="write", name="Practice system") -> str:
    client.force_login(org_admin)
    response = client.post(
        reverse("admin:api_apikey_add"), {"name": name, "user": user.pk, "scope": scope}, follow=True
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    found = [match for text in shown for match in re.findall(r"vc_[0-9a-f]{8}_[\w-]{43}", text)]
    assert len(found) == 1, shown
    return found[0]


def test_admin_makes_a_key_shown_once_stored_as_a_hash_and_audited(client, org_admin, assistant):
    key = _make_in_admin(client, org_admin, assistant)
    api_key = ApiKey.objects.get()
    assert (api_key.user, api_key.organisation, api_key.scope, api_key.created_by) == (
        assistant,
        assistant.organisation,
        "write",
        org_admin,
    )
    assert api_key.secret_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(list(ApiKey.objects.values()))
    event = AuditEvent.objects.get(action=Action.API_KEY_CREATED)
    assert event.actor == org_admin and "Practice system" in event.summary and api_key.prefix in event.summary
    assert key not in event.summary
    # Never shown again: not on the key's page, not in the list.
    change_page = client.get(reverse("admin:api_apikey_change", args=[api_key.pk]))
    listing = client.get(reverse("admin:api_apikey_changelist"))
    assert change_page.status_code == listing.status_code == 200
    assert key not in change_page.content.decode() and key not in listing.content.decode()
    assert f"vc_{api_key.prefix}_" in listing.content.decode()


def test_the_admin_offers_only_users_of_its_own_organisation(client, org_admin, assistant):
    stranger = UserFactory(organisation=OrganisationFactory(), full_name="Stella Stranger")
    client.force_login(org_admin)
    page = client.get(reverse("admin:api_apikey_add")).content.decode()
    assert assistant.full_name in page and stranger.full_name not in page
    response = client.post(reverse("admin:api_apikey_add"), {"name": "x", "user": stranger.pk, "scope": "read"})
    assert response.status_code == 200  # the form again, with its error
    assert not ApiKey.objects.exists()


def test_revoking_in_the_admin_stops_the_key_at_once_and_is_audited(client, org_admin, assistant, api_as):
    key = _make_in_admin(client, org_admin, assistant)
    api = api_as(None)
    api.key = key
    assert api.get("/teams").status_code == 200
    api_key = ApiKey.objects.get()
    response = client.post(
        reverse("admin:api_apikey_changelist"), {"action": "revoke", "_selected_action": [api_key.pk]}, follow=True
    )
    assert response.status_code == 200
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    refused = api.get("/teams")
    assert refused.status_code == 401 and refused.json()["code"] == "unauthorized"
    assert AuditEvent.objects.get(action=Action.API_KEY_REVOKED).actor == org_admin


def test_another_organisations_admin_does_not_see_the_key(client, org_admin, assistant):
    _make_in_admin(client, org_admin, assistant, name="Geheime koppeling")
    other = admin_of(OrganisationFactory())
    client.force_login(other)
    listing = client.get(reverse("admin:api_apikey_changelist"))
    assert listing.status_code == 200 and "Geheime koppeling" not in listing.content.decode()
    assert client.get(reverse("admin:api_apikey_change", args=[ApiKey.objects.get().pk])).status_code == 302


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer vc_00000000_wrong", "Basic dXNlcjpwYXNz", "Bearer " + "vc_" + "x" * 200],
    ids=["missing", "empty", "wrong", "basic", "too-long"],
)
def test_requests_without_a_working_key_get_401(client, assistant, make_key, authorization):
    make_key(assistant)
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = client.get("/api/v1/consults", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["code"] == "unauthorized"


def test_a_signed_in_session_is_no_key(assistant_client):
    assert assistant_client.get("/api/v1/consults").status_code == 401


def test_a_key_stops_working_when_its_user_is_deactivated(assistant, api_as):
    api = api_as(assistant)
    assert api.get("/consults").status_code == 200
    assistant.is_active = False
    assistant.save()
    assert api.get("/consults").status_code == 401


def test_a_read_only_key_reads_but_may_not_write(assistant, api_as, booking, book):
    consult = book()
    api = api_as(assistant, scope="read")
    assert api.get(f"/consults/{consult.public_id}").status_code == 200
    refused = api.post("/consults", booking())
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    # In the organisation's language when no other is asked for, as every answer.
    assert refused.json()["detail"] == "Deze API-sleutel mag alleen lezen."
    cancel = api.post(f"/consults/{consult.public_id}/cancel", {})
    assert cancel.status_code == 403
    # Refused before the body is read: bad input or not, the answer is the same.
    assert api.post("/series", {"nonsense": True}).status_code == 403
    assert Appointment.objects.count() == 1 and not Appointment.objects.filter(status="cancelled").exists()


def test_use_is_noted_on_the_key(assistant, api_as):
    api = api_as(assistant)
    assert ApiKey.objects.get().last_used_at is None
    api.get("/teams")
    assert ApiKey.objects.get().last_used_at is not None


def test_a_key_needs_no_csrf_token_as_a_program_has_no_cookie(assistant, make_key, booking):
    api = ApiClient(Client(enforce_csrf_checks=True), make_key(assistant))
    assert api.post("/consults", booking()).status_code == 201
