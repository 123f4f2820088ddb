"""Whereby Embedded REST API: one transient, locked meeting per consult.

API: https://docs.whereby.com (POST/DELETE /v1/meetings). The organisation's service account holds the
API key (secret) and the webhook signing secret; its server URL, when set, replaces the API address, and
only when the operator allows that address (OUTBOUND_API_URLS). Its webhook (room events, at the URL the
admin page shows for the account) is at the end of this module, with its `urlpatterns`.
"""

import hashlib
import hmac
import json
import logging
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlencode

import requests
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.outbound import is_allowed_outbound_url

from . import services
from .base import Account, Room, RoomRequest, VideoProvider, VideoProviderError
from .http import new_session
from .models import ServiceAccount

logger = logging.getLogger(__name__)

# Whereby's `normal` rooms hold up to 4 people: the agent and 3 clients.
NORMAL_ROOM_CLIENTS = 3
# displayName may not contain these characters (Whereby URL parameters) and is at most 100 long.
_NAME_FORBIDDEN = str.maketrans("", "", "$!<>:;")
LANGUAGES = {"nl", "en"}
# Whereby's events are small; anything much larger is not one of them.
MAX_WEBHOOK_BODY = 64 * 1024


class WherebyProvider(VideoProvider):
    label = gettext_lazy("Whereby (a room per consult, via the API)")
    takes_service_account = needs_service_account = True
    keeps_rooms = True
    calls_server_url = True
    # Whereby's pre-built room is made to be embedded (unless "Allowed domains" in its dashboard say no).
    embeddable = True

    def __init__(
        self, *, api_url: str = "https://api.whereby.dev/v1", room_name_prefix: str = "consult", timeout: float = 10.0
    ) -> None:
        self.api_url = api_url.rstrip("/")
        # The prefix is part of every room URL: it must never carry personal data.
        self.room_name_prefix = room_name_prefix
        self.session = new_session(timeout=(min(timeout, 5.0), timeout))

    def account_problem(self, account: Account) -> str | None:
        if not account.secret:
            return _("the organisation's Whereby account has no API key")
        if account.server_url.rstrip("/") and not is_allowed_outbound_url(account.server_url):
            return _("the organisation's Whereby account has an API address that the platform does not allow")
        return None

    def _url(self, account: Account, path: str) -> str:
        custom = account.server_url.rstrip("/")
        if not custom:
            return self.api_url + path
        # Checked at every call as well as in the admin: a row saved before the rule, or through the shell,
        # must not send the organisation's key to wherever it points.
        if not is_allowed_outbound_url(account.server_url):
            raise VideoProviderError(
                _(
                    "The Whereby account's server address is not on the platform's list of allowed API "
                    "addresses, so its API key was not sent. An admin can empty that field."
                ),
                permanent=True,
            )
        return custom + path

    def _call(self, method: str, url: str, account: Account, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {account.secret}"}
        try:
            response = self.session.request(method, url, headers=headers, **kwargs)
        except requests.Timeout:
            raise VideoProviderError(_("Whereby did not answer in time.")) from None
        except requests.RequestException as error:
            raise VideoProviderError(
                _("Whereby could not be reached (%(error)s).") % {"error": type(error).__name__}
            ) from None
        if response.status_code in (401, 403):
            raise VideoProviderError(
                _("Whereby refused the organisation's API key (HTTP %(status)d).") % {"status": response.status_code},
                permanent=True,
            )
        if response.status_code == 429:
            raise VideoProviderError(
                _("Whereby is busy (too many requests); trying again shortly."),
                retry_after=_retry_after(response),
            )
        if response.status_code >= 500:
            raise VideoProviderError(
                _("Whereby had an internal error (HTTP %(status)d).") % {"status": response.status_code}
            )
        return response

    def create_room(self, *, request: RoomRequest, account: Account) -> Room:
        body = {
            # Whereby deactivates the room an hour after endDate; participants are not cut off at endDate.
            "endDate": request.expires_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "isLocked": True,
            "roomNamePattern": "uuid",
            "roomNamePrefix": self.room_name_prefix,
            "roomMode": "group" if request.participant_count > NORMAL_ROOM_CLIENTS else "normal",
            "fields": ["hostRoomUrl"],
        }
        response = self._call("POST", self._url(account, "/meetings"), account, json=body)
        if response.status_code != 201:
            raise VideoProviderError(
                _("Whereby did not create the room (HTTP %(status)d).") % {"status": response.status_code},
                permanent=400 <= response.status_code < 500,
            )
        try:
            meeting = response.json()
            return Room(
                provider_room_id=str(meeting["meetingId"]),
                host_url=meeting["hostRoomUrl"],
                participant_url=meeting["roomUrl"],
                expires_at=datetime.fromisoformat(meeting["endDate"].replace("Z", "+00:00")),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            raise VideoProviderError(_("Whereby answered with a meeting this application cannot read.")) from None

    def participant_url(self, *, room: Room, account: Account, display_name: str, language: str) -> str:
        return with_whereby_params(room.participant_url, display_name=display_name, language=language)

    def delete_room(self, *, provider_room_id: str, account: Account) -> None:
        # DELETE is idempotent at Whereby (204 again); a 404 means the same to us.
        url = self._url(account, f"/meetings/{quote(provider_room_id, safe='')}")
        response = self._call("DELETE", url, account)
        if response.status_code not in (200, 204, 404):
            raise VideoProviderError(
                _("Whereby did not delete the room (HTTP %(status)d).") % {"status": response.status_code},
                permanent=400 <= response.status_code < 500,
            )

    def close(self) -> None:
        self.session.close()


def with_whereby_params(room_url: str, *, display_name: str, language: str) -> str:
    """A Whereby room URL that fills in the participant's name and shows Whereby in their language."""
    params = {"displayName": display_name.translate(_NAME_FORBIDDEN).strip()[:100]}
    if language in LANGUAGES:
        params["lang"] = language
    separator = "&" if "?" in room_url else "?"
    return f"{room_url}{separator}{urlencode(params)}"


def _retry_after(response: requests.Response) -> float | None:
    """Seconds to wait, from Retry-After (seconds or an HTTP date) or Whereby's body `data.msLeft`."""
    header = response.headers.get("Retry-After", "").strip()
    if header.isdigit():
        return float(header)
    if header:
        try:
            return max((parsedate_to_datetime(header) - timezone.now()).total_seconds(), 0.0)
        except (TypeError, ValueError):
            pass
    try:
        return float(response.json()["data"]["msLeft"]) / 1000
    except (ValueError, KeyError, TypeError):
        return None


def verify_signature(*, secret: str, header: str, body: bytes, tolerance: int, now: float) -> bool:
    """Whether a webhook carries Whereby's signature: `Whereby-Signature: t=<unix time>,v1=<hex>` where
    v1 = HMAC-SHA256(secret, "<t>.<raw body>"), signed no longer than `tolerance` seconds ago."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _sep, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", []))


# The webhook answers fast: Whereby waits 5 seconds and retries only on 5xx.
@csrf_exempt
@require_POST
def whereby_webhook(request: HttpRequest, account_id: str) -> HttpResponse:
    """Room events of one organisation's Whereby account, at the URL the admin page shows for it."""
    account = get_object_or_404(ServiceAccount, public_id=account_id, provider="whereby")
    body = request.body
    if not account.webhook_secret or len(body) > MAX_WEBHOOK_BODY:
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


# Mounted by videoproviders/urls.py (namespace "videoproviders") when Whereby is in VIDEO_PROVIDERS.
urlpatterns = [
    path("hooks/whereby/<uuid:account_id>/", whereby_webhook, name="whereby-webhook"),
]
