import pytest

from webhooks.models import Endpoint, EventType

from .receiver import Receiver


@pytest.fixture
def receiver(settings):
    # The operator's list may hold a test server's http address; an admin could not type it.
    running = Receiver().start()
    settings.OUTBOUND_API_URLS = [running.url]
    yield running
    running.stop()


@pytest.fixture
def endpoint(organisation, receiver):
    """An endpoint of the organisation that wants every event, its secret known to the receiver."""
    made = Endpoint.objects.create(organisation=organisation, url=receiver.url, events=EventType.values)
    receiver.secret = made.secret
    return made
