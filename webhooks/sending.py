"""Sending deliveries: claimed before sending, so a task that runs twice (or on two workers) sends once.

Passing failures (no connection, a timeout, 5xx, 429) are tried again later: the row gets a later
`next_attempt_at` and beat's sweep queues it when due, so the database is the only schedule (no Celery
countdowns, which Redis may run twice). Other answers fail the row at once: a 4xx says the receiver refuses
this request, and sending it again would not change that; the admin's *Send again* does, once it is fixed.
"""

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from config.outbound import is_allowed_outbound_url

from .models import Delivery, DeliveryStatus
from .queue import enqueue_deliveries
from .signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signature_header

logger = logging.getLogger(__name__)

USER_AGENT = "videoconsult-webhooks/1.0"
MAX_ATTEMPTS = 8
# After the 1st, 2nd ... 7th failed attempt: about 19 hours from the first to the eighth, so a receiver that is
# down for a night still gets its events.
BACKOFF = [timedelta(minutes=m) for m in (1, 5, 30, 60, 120, 300, 600)]
EXCERPT = 200


# A receiver's Retry-After is honoured up to this long; the attempts still end after MAX_ATTEMPTS.
LONGEST_WAIT = timedelta(hours=12)


class Failure(Exception):
    def __init__(
        self, message: str, *, permanent: bool, status: int | None = None, retry_after: timedelta | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.status = status
        self.retry_after = retry_after


def _post(delivery: Delivery, body: bytes) -> tuple[int, str]:
    endpoint = delivery.endpoint
    now = time.time()
    secrets = endpoint.signing_secrets(datetime.fromtimestamp(now, UTC))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature_header(secrets=secrets, timestamp=int(now), body=body),
        EVENT_HEADER: str(delivery.event_id),
        DELIVERY_HEADER: str(delivery.public_id),
    }
    try:
        # Redirects are not followed: the address was checked, where it would send us was not.
        with requests.post(
            endpoint.url,
            data=body,
            headers=headers,
            timeout=(5, settings.WEBHOOK_TIMEOUT_SECONDS),
            allow_redirects=False,
            stream=True,
        ) as response:
            # An excerpt for the log, not the whole answer, whatever its size.
            excerpt = next(response.iter_content(EXCERPT), b"").decode("utf-8", "replace")
            status = response.status_code
            wait = response.headers.get("Retry-After", "").strip()
    except (requests.ConnectionError, requests.Timeout) as error:
        raise Failure(f"{type(error).__name__}: {error}", permanent=False) from None
    except requests.RequestException as error:
        raise Failure(f"{type(error).__name__}: {error}", permanent=True) from None
    if 200 <= status < 300:
        return status, excerpt
    passing = status == 429 or status >= 500
    # Seconds only: what receivers send in practice (an HTTP date is read as no wish, the backoff applies).
    retry_after = timedelta(seconds=int(wait)) if wait.isdigit() else None
    raise Failure(excerpt or f"HTTP {status}", permanent=not passing, status=status, retry_after=retry_after)


def send_delivery(*, delivery_id: int) -> str:
    """Send one due row once. Returns the row's status afterwards (for logs and tests)."""
    now = timezone.now()
    claimed = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now).update(
        status=DeliveryStatus.SENDING, claimed_at=now, queued_at=None, attempts=F("attempts") + 1, updated_at=now
    )
    if not claimed:
        return "not-claimed"
    delivery = Delivery.objects.select_related("endpoint").get(pk=delivery_id)
    try:
        if not delivery.endpoint.active:
            raise Failure("The endpoint is switched off.", permanent=True)
        if not is_allowed_outbound_url(delivery.endpoint.url):
            # Saved while allowed, since removed from the platform's list: nothing goes there any more.
            raise Failure("The address is no longer allowed by the platform (OUTBOUND_API_URLS).", permanent=True)
        body = json.dumps(delivery.payload, separators=(",", ":")).encode()
        status, excerpt = _post(delivery, body)
    except Failure as failure:
        return _record_failure(delivery, failure)
    except Exception as error:
        # A bug or a surprise (an unreadable secret): recorded and retried like a passing failure, never left
        # "sending".
        logger.exception("Sending webhook delivery %s failed unexpectedly", delivery_id)
        return _record_failure(delivery, Failure(f"{type(error).__name__}: {error}", permanent=False))
    _finish(
        delivery_id,
        status=DeliveryStatus.DELIVERED,
        response_status=status,
        response_excerpt=excerpt,
        delivered_at=timezone.now(),
        next_attempt_at=None,
    )
    return DeliveryStatus.DELIVERED


def _finish(delivery_id: int, **fields: object) -> None:
    Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.SENDING).update(updated_at=timezone.now(), **fields)


def _record_failure(delivery: Delivery, failure: Failure) -> str:
    excerpt = failure.message[: Delivery._meta.get_field("response_excerpt").max_length]
    if failure.permanent or delivery.attempts >= MAX_ATTEMPTS:
        _finish(
            delivery.pk,
            status=DeliveryStatus.FAILED,
            response_status=failure.status,
            response_excerpt=excerpt,
            next_attempt_at=None,
        )
        return DeliveryStatus.FAILED
    _finish(
        delivery.pk,
        status=DeliveryStatus.PENDING,
        response_status=failure.status,
        response_excerpt=excerpt,
        next_attempt_at=timezone.now() + _wait(delivery.attempts, failure.retry_after),
    )
    return DeliveryStatus.PENDING


def _wait(attempts: int, retry_after: timedelta | None) -> timedelta:
    """The backoff after this many attempts, or longer when the receiver asked (within LONGEST_WAIT)."""
    backoff = BACKOFF[min(attempts, len(BACKOFF)) - 1]
    return max(backoff, min(retry_after, LONGEST_WAIT)) if retry_after else backoff


@dataclass(frozen=True)
class SweepResult:
    queued: int
    recovered: int


def sweep(*, now: datetime | None = None, batch: int = 500) -> SweepResult:
    """Queue due retries and rows whose task was lost; take back rows whose worker died while sending."""
    now = now or timezone.now()
    lease = now - timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    stale = Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=lease)
    # A worker died mid-request: the receiver may have had it, so this is a repeat it must recognise by its
    # event id (at least once, as every webhook sender promises). Given up after as many attempts as failures.
    stale.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=DeliveryStatus.FAILED, response_excerpt="Sending broke off every time.", updated_at=now
    )
    recovered = stale.update(status=DeliveryStatus.PENDING, next_attempt_at=now, updated_at=now)
    # Due, and no task queued for it (a retry, a broker that was down), or queued so long ago that it was lost.
    waiting = Q(queued_at__isnull=True) | Q(queued_at__lt=lease)
    due = list(
        Delivery.objects.filter(waiting, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:batch]
    )
    if due:
        Delivery.objects.filter(waiting, pk__in=due, status=DeliveryStatus.PENDING).update(queued_at=now)
    # Two beats sweeping at once: each queues only the rows that carry its own `now`.
    queued = list(
        Delivery.objects.filter(pk__in=due, status=DeliveryStatus.PENDING, queued_at=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)
    )
    transaction.on_commit(lambda: enqueue_deliveries(queued))
    return SweepResult(queued=len(queued), recovered=recovered)
