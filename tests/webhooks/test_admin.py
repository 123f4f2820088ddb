"""The organisation admin registers endpoints (refused addresses explained), copies the secret, rolls it, and
reads the delivery log of their own organisation, sending failed deliveries again."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from tests.factories import TeamFactory, admin_of
from webhooks.models import Delivery, DeliveryStatus, Endpoint, EventType

ADD = reverse("admin:webhooks_endpoint_add")
ALLOWED = "https://hooks.example.org/videoconsult"


@pytest.fixture
def admin_client(client, organisation):
    client.force_login(admin_of(organisation, full_name="Ada Admin"))
    return client


def _add(client, url: str, events=("consult.booked", "client.waiting")):
    return client.post(ADD, {"url": url, "description": "Practice system", "events": list(events), "active": "on"})


def test_adding_an_endpoint_shows_its_secret_to_copy(admin_client, settings, organisation):
    settings.OUTBOUND_API_URLS = ["https://hooks.example.org/"]
    response = _add(admin_client, ALLOWED)
    endpoint = Endpoint.objects.get()
    assert response["Location"] == reverse("admin:webhooks_endpoint_change", args=[endpoint.pk])
    page = admin_client.get(response["Location"]).content.decode()
    assert endpoint.secret.startswith("whsec_") and endpoint.secret in page
    assert "Copy the signing secret below" in page
    assert endpoint.organisation == organisation and endpoint.events == ["consult.booked", "client.waiting"]
    assert AuditEvent.objects.filter(action="setting_added", object_type="webhooks.endpoint").count() == 1


@pytest.mark.parametrize(
    ("url", "language", "message"),
    [
        ("https://elsewhere.example.com/hook", "en", "not on the platform&#x27;s list of allowed outbound addresses"),
        ("https://elsewhere.example.com/hook", "nl", "niet op de lijst"),
        ("http://hooks.example.org/videoconsult", "en", "must start with https://"),
        ("https://hooks.example.org/videoconsult?token=1", "en", "no user name, query or fragment"),
        ("https://169.254.169.254/latest", "en", "not on the platform&#x27;s list"),
    ],
)
def test_a_refused_address_cannot_be_saved_and_says_why(admin_client, settings, url, language, message):
    settings.OUTBOUND_API_URLS = ["https://hooks.example.org/"]
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = _add(admin_client, url, events=["consult.booked"])
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Endpoint.objects.exists()


def test_rolling_the_secret_replaces_it_and_is_audited(admin_client, organisation):
    endpoint = Endpoint.objects.create(organisation=organisation, url=ALLOWED, events=EventType.values)
    old = endpoint.secret
    admin_client.post(
        reverse("admin:webhooks_endpoint_changelist"), {"action": "roll_secret", "_selected_action": [endpoint.pk]}
    )
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret.startswith("whsec_")
    page = admin_client.get(reverse("admin:webhooks_endpoint_change", args=[endpoint.pk])).content.decode()
    assert endpoint.secret in page and old not in page
    assert "requests are signed with the previous secret as well" in page
    assert AuditEvent.objects.filter(action="webhook_secret_rolled", organisation=organisation).count() == 1


def test_the_delivery_log_shows_only_the_organisation_s_own(client, organisation, book, endpoint, receiver):
    receiver.answers = [404]
    book()
    delivery = Delivery.objects.get()
    changelist = reverse("admin:webhooks_delivery_changelist")
    client.force_login(admin_of(TeamFactory().organisation))
    assert str(delivery.endpoint.url) not in client.get(changelist).content.decode()
    other = client.get(reverse("admin:webhooks_delivery_change", args=[delivery.pk]))
    assert other.status_code == 302
    client.force_login(admin_of(organisation))
    page = client.get(changelist).content.decode()
    assert endpoint.url in page and "Failed" in page
    detail = client.get(reverse("admin:webhooks_delivery_change", args=[delivery.pk])).content.decode()
    assert str(delivery.event_id) in detail and "refused with 404" in detail
    assert "&quot;type&quot;: &quot;consult.booked&quot;" in detail  # the JSON sent, readable
    assert endpoint.secret not in detail
    endpoint_page = client.get(reverse("admin:webhooks_endpoint_change", args=[endpoint.pk])).content.decode()
    log = reverse("admin:webhooks_delivery_changelist") + f"?endpoint__id__exact={endpoint.pk}"
    assert log in endpoint_page and endpoint.url in client.get(log).content.decode()


def test_send_again_delivers_a_failed_delivery(
    admin_client, book, endpoint, receiver, organisation, django_capture_on_commit_callbacks
):
    receiver.answers = [400]
    book()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:webhooks_delivery_changelist"), {"action": "send_again", "_selected_action": [delivery.pk]}
        )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.DELIVERED, 1, 200)
    assert len(receiver.received) == 2 and receiver.received[1].verified
    assert AuditEvent.objects.filter(action="webhook_resent", organisation=organisation).count() == 1


def test_a_test_event_tries_the_address_and_secret(
    client, organisation, endpoint, receiver, django_capture_on_commit_callbacks
):
    endpoint.events = ["consult.cancelled"]  # a ping goes whatever the events chosen
    endpoint.save()
    client.force_login(admin_of(organisation))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:webhooks_endpoint_changelist"),
            {"action": "send_test_event", "_selected_action": [endpoint.pk]},
        )
    assert response.status_code == 302
    (request,) = receiver.received
    assert request.verified and request.event["type"] == "ping"
    assert request.event["data"] == {"endpoint": {"id": str(endpoint.public_id)}}
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED
    # Not among the events an endpoint can choose.
    add_page = client.get(ADD).content.decode()
    assert 'value="consult.booked"' in add_page and 'value="ping"' not in add_page
