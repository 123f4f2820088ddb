"""The only writers of webhook endpoints' secrets and of deliveries.

Planning (`announce_*`) runs inside the transaction of the change it announces (scheduling's effects, the
waiting room's check-in, the outbox's failure), so an event exists if and only if the change was saved. Its
rows are queued once the transaction commits; sending them is webhooks.sending's.
"""

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.outbound import is_allowed_outbound_url, parse_address
from scheduling.models import Appointment, Participant

from . import payloads
from .models import Delivery, DeliveryStatus, Endpoint, EventType, new_secret
from .queue import enqueue_deliveries


def check_endpoint_url(url: str) -> None:
    """For an address an admin typed: https, and allowed by the platform's outbound rule."""
    address = parse_address(url)
    if address is None or address.scheme != "https":
        raise ValidationError(
            _("A webhook address must start with https:// and have no user name, query or fragment."),
            code="outbound_url_form",
        )
    if not is_allowed_outbound_url(url):
        raise ValidationError(
            _(
                "This address is not on the platform's list of allowed outbound addresses. Ask the platform "
                "operator to allow it (OUTBOUND_API_URLS)."
            ),
            code="outbound_url_not_allowed",
        )


# How long the old secret keeps signing alongside the new one after a roll.
PREVIOUS_SECRET_HOURS = 24


def roll_secret(*, endpoint: Endpoint) -> str:
    """A new signing secret. For PREVIOUS_SECRET_HOURS requests carry a second signature made with the old
    one, so the receiving system can be given the new secret without refusing anything meanwhile."""
    now = timezone.now()
    with transaction.atomic():
        # Locked: two rolls at once must not both keep the same old secret as "previous".
        current = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        fields = {
            "secret": new_secret(),
            "previous_secret": current.secret,
            "previous_secret_expires_at": now + timedelta(hours=PREVIOUS_SECRET_HOURS),
        }
        # The update goes through the fields' own encryption, like save() does.
        Endpoint.objects.filter(pk=endpoint.pk).update(updated_at=now, **fields)
    for name, value in fields.items():
        setattr(endpoint, name, value)
    return fields["secret"]


def resend_delivery(*, delivery: Delivery) -> bool:
    """A failed delivery goes again, with its original payload, as a fresh series of attempts."""
    now = timezone.now()
    with transaction.atomic():
        updated = Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.FAILED).update(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, queued_at=now, updated_at=now
        )
        if updated:
            transaction.on_commit(lambda: enqueue_deliveries([delivery.pk]))
    return bool(updated)


def prune_deliveries(*, now: datetime | None = None) -> int:
    """Delete delivered and failed deliveries older than WEBHOOK_LOG_DAYS, so the log stays the size of its
    use. Returns how many went. Pending ones stay: their attempts end long before."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOK_LOG_DAYS)
    finished = (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)
    deleted, _by_model = Delivery.objects.filter(created_at__lt=cutoff, status__in=finished).delete()
    return deleted


def send_test_event(*, endpoint: Endpoint) -> None:
    """A `ping` to one endpoint, whatever events it chose: to try its address and secret after setting up."""
    organisation = endpoint.organisation
    with transaction.atomic():
        _save_and_queue(
            _deliveries(
                organisation_id=organisation.pk,
                organisation_name=organisation.name,
                event_type=EventType.PING,
                data={"endpoint": {"id": str(endpoint.public_id)}},
                endpoint_ids=[endpoint.pk],
                now=timezone.now(),
            )
        )


# --- planning -----------------------------------------------------------------------------------------------


def _subscribed(organisation_id: int, event_type: str) -> list[int]:
    # The secret is not read here: planning decrypts nothing. Few endpoints per organisation, so the event
    # list is filtered here rather than with a JSON lookup that SQLite lacks.
    rows = Endpoint.objects.filter(organisation_id=organisation_id, active=True).values_list("pk", "events")
    return [pk for pk, events in rows if event_type in events]


def _deliveries(
    *,
    organisation_id: int,
    organisation_name: str,
    event_type: str,
    data: dict,
    endpoint_ids: list[int],
    now: datetime,
) -> list[Delivery]:
    """One event: its payload, and a delivery of it for each endpoint."""
    event_id = uuid.uuid4()
    payload = payloads.event(
        event_id=event_id, event_type=event_type, created=now, organisation_name=organisation_name, data=data
    )
    return [
        Delivery(
            event_id=event_id,
            organisation_id=organisation_id,
            endpoint_id=endpoint_id,
            event_type=event_type,
            payload=payload,
            next_attempt_at=now,
            queued_at=now,
        )
        for endpoint_id in endpoint_ids
    ]


def _save_and_queue(rows: list[Delivery]) -> None:
    ids = [row.pk for row in Delivery.objects.bulk_create(rows)]
    transaction.on_commit(lambda: enqueue_deliveries(ids))


def _plan(*, appointment: Appointment, event_type: str, datas: Callable[[], Iterable[dict]]) -> None:
    """One event per data, one delivery per event and subscribed endpoint, queued after commit. The datas are
    only made (and what they read only read) when an endpoint wants the event."""
    endpoint_ids = _subscribed(appointment.organisation_id, event_type)
    if not endpoint_ids:
        return
    now = timezone.now()
    organisation_name = appointment.organisation.name
    rows: list[Delivery] = []
    for data in datas():
        rows += _deliveries(
            organisation_id=appointment.organisation_id,
            organisation_name=organisation_name,
            event_type=event_type,
            data=data,
            endpoint_ids=endpoint_ids,
            now=now,
        )
    _save_and_queue(rows)


def announce_consults(*, event_type: EventType, appointments: list[Appointment]) -> None:
    """Booked, changed, cancelled, started or ended: one event per consult (a series' sessions each)."""
    if not appointments:
        return

    def datas() -> list[dict]:
        series = payloads.series_ids(appointments)
        return [{"consult": payloads.consult(appointment, series)} for appointment in appointments]

    _plan(appointment=appointments[0], event_type=event_type, datas=datas)


def announce_client_waiting(*, participant: Participant, arrived_at: datetime) -> None:
    """A client arrived in the waiting room. Not who: the receiver asks the API for the consult's people."""
    appointment = participant.appointment
    _plan(
        appointment=appointment,
        event_type=EventType.CLIENT_WAITING,
        datas=lambda: [{"consult": payloads.consult(appointment), "arrived_at": payloads.timestamp(arrived_at)}],
    )


def announce_message_failed(
    *, appointment: Appointment, message_id: uuid.UUID, channel: str, purpose: str, reason: str
) -> None:
    """A message of the outbox failed for good: which kind, by which channel and why, never to whom."""
    message = {"id": str(message_id), "channel": channel, "purpose": purpose, "reason": reason}
    _plan(
        appointment=appointment,
        event_type=EventType.MESSAGE_FAILED,
        datas=lambda: [{"consult": payloads.consult(appointment), "message": message}],
    )
