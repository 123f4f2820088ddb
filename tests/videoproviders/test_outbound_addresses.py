"""An organisation admin may point an outbound API only at an https address the platform operator lists;
an address that is not listed (any more) never receives the organisation's key."""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.urls import reverse
from django.utils import timezone

from config.outbound import check_outbound_url, is_allowed_outbound_url
from videoproviders.base import Account, RoomRequest, VideoProviderError
from videoproviders.models import RoomStatus, ServiceAccount, VideoRoom
from videoproviders.whereby import WherebyProvider

LISTED = "https://api.whereby.dev/v1"
API_KEY = "wb-live-key-0123456789-abcdef"


@pytest.mark.parametrize(
    "url",
    [
        "https://api.whereby.dev/v1",
        "https://api.whereby.dev/v1/",
        "https://api.whereby.dev/v1/meetings",
        "https://API.Whereby.dev/v1",
        "https://api.whereby.dev:443/v1",
    ],
)
def test_an_address_within_a_listed_prefix_is_allowed(settings, url):
    settings.OUTBOUND_API_URLS = [LISTED]
    assert is_allowed_outbound_url(url)
    check_outbound_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://api.whereby.dev.evil.com/v1",
        "https://api.whereby.dev@evil.com/v1",
        "https://user:password@api.whereby.dev/v1",
        "https://api.whereby.dev\\@evil.com/v1",
        "https://api.whereby.dev/v1evil",
        "https://api.whereby.dev/v",
        "https://api.whereby.dev/",
        "https://api.whereby.dev:8443/v1",
        "http://api.whereby.dev/v1",
        "https://evil.com/api.whereby.dev/v1",
        "https://api.whereby.dev/v1/../admin",
        "https://api.whereby.dev/v1/%2e%2E/admin",
        "https://api.whereby.dev/v1%2F..%2Fadmin",
        "https://api.whereby.dev/v1?next=https://evil.com",
        "https://api.whereby.dev/v1#fragment",
        "https://api.whereby.dev:99999/v1",
        "ftp://api.whereby.dev/v1",
        "//api.whereby.dev/v1",
        "",
    ],
)
def test_an_address_outside_every_listed_prefix_is_refused(settings, url):
    settings.OUTBOUND_API_URLS = [LISTED]
    assert not is_allowed_outbound_url(url)
    with pytest.raises(ValidationError):
        check_outbound_url(url)


def test_without_a_list_no_address_is_allowed(settings):
    settings.OUTBOUND_API_URLS = []
    assert not is_allowed_outbound_url(LISTED)


def test_a_listed_host_without_a_path_allows_every_path_on_it(settings):
    settings.OUTBOUND_API_URLS = ["https://api.whereby.dev"]
    assert is_allowed_outbound_url("https://api.whereby.dev/v1/meetings")
    assert not is_allowed_outbound_url("https://api.whereby.dev.evil.com/v1")


def test_the_operator_may_list_an_http_address_but_an_admin_may_not_type_one(settings):
    settings.OUTBOUND_API_URLS = ["http://127.0.0.1:8080/v1"]
    assert is_allowed_outbound_url("http://127.0.0.1:8080/v1/meetings")
    with pytest.raises(ValidationError, match="https://"):
        check_outbound_url("http://127.0.0.1:8080/v1")


def test_a_malformed_entry_in_the_operators_list_is_named(settings):
    settings.OUTBOUND_API_URLS = ["api.whereby.dev/v1"]
    with pytest.raises(ImproperlyConfigured, match=r"OUTBOUND_API_URLS: 'api\.whereby\.dev/v1'"):
        is_allowed_outbound_url(LISTED)


def _account_form(**fields) -> dict:
    return {"provider": "whereby", "server_url": "", "account_id": "", "secret": API_KEY, "webhook_secret": ""} | fields


@pytest.mark.parametrize(
    ("server_url", "message"),
    [
        ("http://169.254.169.254/latest/meta-data", "must start with https://"),
        ("https://api.example.net/v1", "not on the platform&#x27;s list of allowed API addresses"),
    ],
)
def test_the_admin_refuses_a_whereby_api_address_the_operator_has_not_listed(
    org_admin, organisation, settings, server_url, message
):
    settings.OUTBOUND_API_URLS = [LISTED]
    response = org_admin.post(reverse("admin:videoproviders_serviceaccount_add"), _account_form(server_url=server_url))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ServiceAccount.objects.filter(organisation=organisation).exists()


def test_the_admin_accepts_a_whereby_api_address_on_the_operators_list(org_admin, organisation, settings):
    settings.OUTBOUND_API_URLS = [LISTED]
    response = org_admin.post(
        reverse("admin:videoproviders_serviceaccount_add"), _account_form(server_url=f"{LISTED}/")
    )
    assert response.status_code == 302
    assert ServiceAccount.objects.get(organisation=organisation).server_url == f"{LISTED}/"


def test_a_jitsi_server_only_goes_into_browser_links_and_needs_no_listing(org_admin, organisation, settings):
    settings.OUTBOUND_API_URLS = []
    response = org_admin.post(
        reverse("admin:videoproviders_serviceaccount_add"),
        _account_form(provider="jitsi", server_url="https://meet.example.nl", secret=""),
    )
    assert response.status_code == 302
    assert ServiceAccount.objects.get(organisation=organisation).server_url == "https://meet.example.nl"


def test_whereby_refuses_an_unlisted_account_address_at_call_time_and_never_sends_the_key(whereby, settings):
    # An account saved before the rule (or through the shell) that points at the fake server, no longer listed.
    settings.OUTBOUND_API_URLS = []
    provider = WherebyProvider(api_url="https://api.whereby.dev/v1", timeout=0.5)
    account = Account(provider="whereby", server_url=whereby.url, secret=whereby.api_key)
    start = timezone.now() + timedelta(hours=1)
    request = RoomRequest(
        reference="3f1c0a52-0000-4000-8000-000000000000",
        start=start,
        end=start + timedelta(minutes=30),
        expires_at=start + timedelta(hours=2),
        participant_count=1,
        host_name="Dr. Alex Agent",
    )
    try:
        with pytest.raises(VideoProviderError) as created:
            provider.create_room(request=request, account=account)
        with pytest.raises(VideoProviderError) as deleted:
            provider.delete_room(provider_room_id="some-meeting", account=account)
    finally:
        provider.close()
    assert created.value.permanent and deleted.value.permanent
    assert "not on the platform's list of allowed API addresses" in created.value.message
    assert whereby.received == []


def test_a_consult_gets_no_room_while_its_organisations_whereby_address_is_not_listed(
    whereby_agent, whereby, book, settings
):
    settings.OUTBOUND_API_URLS = []
    appointment = book()
    room = VideoRoom.objects.get(appointment=appointment)
    assert room.status == RoomStatus.FAILED
    assert "API address that the platform does not allow" in room.last_error
    assert whereby.received == []
