"""/metrics/ for Prometheus: only for the addresses and the token the operator allows; request counts by view;
the outbox, the waiting room and the consults in progress as they change, in a fixed number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from notifications.errors import DeliveryError
from notifications.models import Reason
from notifications.sms import locmem as sms
from tests.factories import email_participant, sms_participant

URL = reverse("metrics")
OUTSIDE = "203.0.113.7"  # TEST-NET-3: an address that is not the loopback


def scrape(client, **extra) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get(URL, **extra)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def figure(figures, name: str, **labels: str) -> float:
    return figures[(name, tuple(sorted(labels.items())))]


@pytest.fixture(autouse=True)
def clean_sms_outbox():
    sms.outbox.clear()
    sms.failures.clear()


@pytest.fixture
def consult(book):
    start = timezone.now() + timedelta(minutes=5)
    return book(start=start, end=start + timedelta(minutes=30))


# --- who may read it -------------------------------------------------------------------------------------


def test_the_loopback_may_scrape_and_another_address_finds_nothing(client, db):
    assert client.get(URL).status_code == 200
    assert client.get(URL, REMOTE_ADDR=OUTSIDE).status_code == 404


def test_an_allowed_network_may_scrape(client, db, settings):
    settings.METRICS_ALLOWED_IPS = ["10.1.0.0/16"]
    assert client.get(URL, REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get(URL, REMOTE_ADDR="10.2.0.1").status_code == 404
    assert client.get(URL).status_code == 404  # the loopback is no longer on the list


def test_the_token_opens_it_from_anywhere_and_a_wrong_one_is_refused(client, db, settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    assert client.get(URL, REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer s3cret-scrape-token").status_code == 200
    assert client.get(URL, REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer guess").status_code == 403
    # A wrong token is refused even from an allowed address: whoever sends one means to use it.
    assert client.get(URL, HTTP_AUTHORIZATION="Bearer guess").status_code == 403
    assert client.get(URL, REMOTE_ADDR=OUTSIDE).status_code == 404


def test_without_a_token_configured_a_bearer_header_opens_nothing(client, db):
    assert client.get(URL, REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer ").status_code == 404


# --- what it says ----------------------------------------------------------------------------------------


def test_requests_are_counted_by_view_method_and_status(client, db):
    responses = (
        "django_http_responses_total_by_status_view_method_total",
        {"view": "favicon", "method": "GET", "status": "301"},
    )
    latencies = ("django_http_requests_latency_seconds_by_view_method_count", {"view": "favicon", "method": "GET"})
    before = scrape(client)
    # The counters live as long as the process: other tests may have asked for the icon already.
    counted = [before.get((name, tuple(sorted(labels.items()))), 0.0) for name, labels in (responses, latencies)]
    client.get(reverse("favicon"))
    client.get(reverse("favicon"))
    after = scrape(client)
    assert figure(after, responses[0], **responses[1]) == counted[0] + 2
    assert figure(after, latencies[0], **latencies[1]) == counted[1] + 2


def test_messages_waiting_then_sent_by_channel(client, book):
    empty = scrape(client)
    assert figure(empty, "videoconsult_messages_waiting", channel="email") == 0
    assert figure(empty, "videoconsult_messages_sent", channel="email") == 0
    book(email_participant(), send=False)  # saved; no worker has reached the invitations yet
    queued = scrape(client)
    # The client's invitation and the agent's confirmation.
    assert figure(queued, "videoconsult_messages_waiting", channel="email") == 2
    assert figure(queued, "videoconsult_messages_sent", channel="email") == 0
    later = timezone.now() + timedelta(days=2)
    book(email_participant(), start=later, end=later + timedelta(minutes=30))
    sent = scrape(client)
    assert figure(sent, "videoconsult_messages_waiting", channel="email") == 2
    assert figure(sent, "videoconsult_messages_sent", channel="email") == 2
    assert figure(sent, "videoconsult_messages_sent", channel="sms") == 0


def test_a_failed_sms_is_counted_under_sms(client, book):
    sms.failures.append(DeliveryError("no such number", permanent=True, reason=Reason.INVALID_ADDRESS))
    book(sms_participant())
    figures = scrape(client)
    assert figure(figures, "videoconsult_messages_failed", channel="sms") == 1
    assert figure(figures, "videoconsult_messages_failed", channel="email") == 0
    assert figure(figures, "videoconsult_messages_sent", channel="email") == 1  # the agent's confirmation


def test_a_client_checking_in_is_waiting_until_the_page_closes(client, consult):
    participant = consult.participants.get()
    assert figure(scrape(client), "videoconsult_clients_waiting") == 0
    page = client.__class__()
    page.post(reverse("waitingroom:presence", args=[participant.token]))
    assert figure(scrape(client), "videoconsult_clients_waiting") == 1
    page.post(reverse("waitingroom:leave", args=[participant.token]))
    assert figure(scrape(client), "videoconsult_clients_waiting") == 0


def test_a_started_consult_is_in_progress_until_it_ends(client, consult, agent):
    agent_page = client.__class__()
    agent_page.force_login(agent)
    assert figure(scrape(client), "videoconsult_calls_in_progress", provider="locmem") == 0
    agent_page.post(reverse("waitingroom:start", args=[consult.public_id]))
    figures = scrape(client)
    assert figure(figures, "videoconsult_calls_in_progress", provider="locmem") == 1
    assert figure(figures, "videoconsult_calls_in_progress", provider="builtin") == 0
    agent_page.post(reverse("waitingroom:end", args=[consult.public_id]))
    assert figure(scrape(client), "videoconsult_calls_in_progress", provider="locmem") == 0


def test_a_scrape_costs_the_same_few_queries_however_much_there_is(client, book, agent):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            scrape(client)
        return len(captured)

    book(email_participant())
    few = queries()
    agent_page = client.__class__()
    agent_page.force_login(agent)
    for day in range(2, 7):
        start = timezone.now() + timedelta(days=day)
        consult = book(email_participant(), sms_participant(), start=start, end=start + timedelta(minutes=30))
        client.__class__().post(reverse("waitingroom:presence", args=[consult.participants.first().token]))
        agent_page.post(reverse("waitingroom:start", args=[consult.public_id]))
    assert queries() == few == 4
