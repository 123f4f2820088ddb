"""Webhooks from video services. They answer fast: Whereby waits 5 seconds and retries only on 5xx."""

import json
import logging
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import services
from .models import ServiceAccount
from .whereby import verify_signature

logger = logging.getLogger(__name__)
# Whereby's events are small; anything much larger is not one of them.
MAX_BODY = 64 * 1024


@csrf_exempt
@require_POST
def whereby_webhook(request: HttpRequest, account_id: str) -> HttpResponse:
    """Room events of one organisation's Whereby account, at the URL the admin page shows for it."""
    account = get_object_or_404(ServiceAccount, public_id=account_id, provider="whereby")
    body = request.body
    if not account.webhook_secret or len(body) > MAX_BODY:
        return HttpResponseBadRequest()
    signed = verify_signature(
        secret=account.webhook_secret,
        header=request.headers.get("Whereby-Signature", ""),
        body=body,
        tolerance=settings.WHEREBY_WEBHOOK_TOLERANCE_SECONDS,
        now=time.time(),
    )
    if not signed:
        # A 4xx is not retried by Whereby: a forged or replayed event is simply dropped.
        logger.warning("Whereby webhook with a bad or stale signature for account %s", account.public_id)
        return HttpResponseBadRequest()
    try:
        event = json.loads(body)
    except ValueError:
        return HttpResponseBadRequest()
    if not isinstance(event, dict):
        return HttpResponseBadRequest()
    services.record_whereby_event(service_account=account, event=event)
    return HttpResponse(status=204)
