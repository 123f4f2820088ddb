"""Providers by alias in settings; accounts in the admin with secrets that never go back to the browser."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from tests.factories import OrganisationFactory, UserFactory
from videoproviders import locmem
from videoproviders.models import AgentVideoAccount, RoomStatus, ServiceAccount, VideoRoom
from videoproviders.registry import provider_choices, providers

API_KEY = "wb-live-key-0123456789-abcdef"


def test_a_provider_is_built_once_per_alias():
    assert providers["jitsi"] is providers["jitsi"]


def test_adding_a_provider_is_one_settings_line(settings):
    settings.VIDEO_PROVIDERS = {**settings.VIDEO_PROVIDERS, "acme": {"BACKEND": "videoproviders.locmem.LocmemProvider"}}
    assert isinstance(providers["acme"], locmem.LocmemProvider)
    assert "acme" in dict(provider_choices())


def test_unknown_options_and_aliases_are_named(settings):
    settings.VIDEO_PROVIDERS = {
        "jitsi": {"BACKEND": "videoproviders.jitsi.JitsiProvider", "OPTIONS": {"server": "https://x", "tls": 1}}
    }
    with pytest.raises(ImproperlyConfigured, match="server, tls"):
        providers["jitsi"]
    with pytest.raises(ImproperlyConfigured, match="'nope'"):
        providers["nope"]


def test_the_api_key_is_masked_and_an_empty_field_keeps_it(org_admin, organisation):
    account = ServiceAccount.objects.create(organisation=organisation, provider="whereby", secret=API_KEY)
    url = reverse("admin:videoproviders_serviceaccount_change", args=[account.pk])
    page = org_admin.get(url).content.decode()
    assert API_KEY not in page
    assert "••••cdef" in page
    assert f"/hooks/whereby/{account.public_id}/" in page
    changelist = org_admin.get(reverse("admin:videoproviders_serviceaccount_changelist")).content.decode()
    assert API_KEY not in changelist and "••••cdef" in changelist

    response = org_admin.post(
        url, {"provider": "whereby", "server_url": "", "account_id": "", "secret": "", "webhook_secret": "whsec-new"}
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.secret, account.webhook_secret) == (API_KEY, "whsec-new")
    assert API_KEY not in repr(account)


def test_a_second_account_of_the_same_service_gets_a_form_error_instead_of_a_server_error(org_admin, organisation):
    add = reverse("admin:videoproviders_serviceaccount_add")
    jitsi = {"provider": "jitsi", "server_url": "", "account_id": "", "secret": "", "webhook_secret": ""}
    assert org_admin.post(add, jitsi).status_code == 302

    response = org_admin.post(add, jitsi)
    assert response.status_code == 200
    assert "there is one account per service" in response.content.decode()
    assert ServiceAccount.objects.filter(organisation=organisation, provider="jitsi").count() == 1


def test_a_platform_admin_choosing_the_organisation_gets_the_same_single_error(client, organisation):
    client.force_login(UserFactory(is_superuser=True, is_staff=True, organisation=None))
    ServiceAccount.objects.create(organisation=organisation, provider="jitsi")
    response = client.post(
        reverse("admin:videoproviders_serviceaccount_add"),
        {"organisation": organisation.pk, "provider": "jitsi", "server_url": "", "account_id": "", "secret": ""},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("there is one account per service") == 1
    assert "already exists" not in page


def test_an_organisation_admin_sees_only_their_own_accounts(org_admin, organisation):
    other = ServiceAccount.objects.create(organisation=OrganisationFactory(), provider="whereby", secret=API_KEY)
    url = reverse("admin:videoproviders_serviceaccount_change", args=[other.pk])
    assert org_admin.get(url).status_code in (302, 404)


def _user_form(agent, **video) -> dict:
    data = {
        "email": agent.email,
        "full_name": agent.full_name,
        "language": agent.language,
        "is_active": "on",
        "memberships-TOTAL_FORMS": 0,
        "memberships-INITIAL_FORMS": 0,
        "video_account-TOTAL_FORMS": 1,
        "video_account-INITIAL_FORMS": 0,
    }
    data.update({f"video_account-0-{key}": value for key, value in video.items()})
    return data


def test_a_personal_room_needs_its_url(org_admin, agent):
    url = reverse("admin:accounts_user_change", args=[agent.pk])
    response = org_admin.post(url, _user_form(agent, provider="personal", room_url=""))
    assert response.status_code == 200
    assert "Fill in the agent&#x27;s personal room URL." in response.content.decode()
    assert not AgentVideoAccount.objects.filter(agent=agent).exists()


def test_whereby_needs_the_organisations_account_first(org_admin, agent):
    url = reverse("admin:accounts_user_change", args=[agent.pk])
    response = org_admin.post(url, _user_form(agent, provider="whereby", room_url=""))
    assert "has no Whereby" in response.content.decode()


def test_switching_an_agent_to_whereby_in_the_admin_gives_upcoming_consults_a_whereby_room(
    org_admin, agent, organisation, whereby, book, django_capture_on_commit_callbacks
):
    appointment = book()
    assert VideoRoom.objects.get(appointment=appointment).provider == "locmem"
    ServiceAccount.objects.create(
        organisation=organisation, provider="whereby", server_url=whereby.url, secret=whereby.api_key
    )
    url = reverse("admin:accounts_user_change", args=[agent.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = org_admin.post(url, _user_form(agent, provider="whereby", room_url=""))
    assert response.status_code == 302
    room = VideoRoom.objects.get(appointment=appointment, status=RoomStatus.READY)
    assert room.provider == "whereby"
    request = whereby.meetings[room.provider_room_id]["request"]
    assert request["isLocked"] is True
    assert locmem.deleted == [locmem.rooms[0].provider_room_id]


def test_only_services_with_accounts_are_offered_for_an_organisation_account(org_admin):
    page = org_admin.get(reverse("admin:videoproviders_serviceaccount_add")).content.decode()
    assert 'value="whereby"' in page and 'value="jitsi"' in page
    assert 'value="personal"' not in page
