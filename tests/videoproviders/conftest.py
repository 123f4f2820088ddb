from collections.abc import Iterator

import pytest

from tests.factories import admin_of
from videoproviders.models import AgentVideoAccount, ServiceAccount

from .fake_whereby import FakeWhereby

WEBHOOK_SECRET = "whsec-test-0123456789abcdef"


@pytest.fixture
def whereby(settings) -> Iterator[FakeWhereby]:
    fake = FakeWhereby().start()
    # As the platform operator would list a test server: the operator's list may hold an http address.
    settings.OUTBOUND_API_URLS = [fake.url]
    try:
        yield fake
    finally:
        fake.stop()
    assert fake.violations == [], "requests that break Whereby's API contract"


@pytest.fixture
def whereby_account(organisation, whereby) -> ServiceAccount:
    return ServiceAccount.objects.create(
        organisation=organisation,
        provider="whereby",
        server_url=whereby.url,
        secret=whereby.api_key,
        webhook_secret=WEBHOOK_SECRET,
    )


@pytest.fixture
def whereby_agent(agent, whereby_account):
    AgentVideoAccount.objects.create(agent=agent, provider="whereby")
    return agent


@pytest.fixture
def org_admin(client, organisation):
    """The test client, logged in as the organisation's admin."""
    client.force_login(admin_of(organisation))
    return client
