from collections.abc import Iterator

import pytest

from videoproviders.models import AgentVideoAccount, ServiceAccount

from .fake_whereby import FakeWhereby

WEBHOOK_SECRET = "whsec-test-0123456789abcdef"


@pytest.fixture
def whereby() -> Iterator[FakeWhereby]:
    fake = FakeWhereby().start()
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
