"""Twilio Programmable Messaging, through the official `twilio` package.

Options: account_sid, auth_token, and from_number or messaging_service_sid; timeout (seconds) for each
request; api_url only to point tests at a local fake server. Twilio's webhooks (delivery reports and
replies) are at the end of this module, with their `urlpatterns`.
"""

from collections.abc import Mapping
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from .. import services
from ..errors import DeliveryError
from ..models import Reason
from ..optout import record_reply
from . import SentSms, SmsBackend, get_sms_backend

TWILIO_API_URL = "https://api.twilio.com"

# Errors Twilio answers at once that sending again cannot fix (https://www.twilio.com/docs/api/errors).
PERMANENT_ERRORS = {
    21211: Reason.INVALID_ADDRESS,  # invalid 'To' number
    21604: Reason.INVALID_ADDRESS,  # 'To' missing
    21612: Reason.INVALID_ADDRESS,  # 'To' unroutable
    21614: Reason.NOT_MOBILE,  # not a mobile number
    21610: Reason.OPTED_OUT,  # recipient replied STOP
    20003: Reason.CONFIGURATION,  # authentication failed
    20404: Reason.CONFIGURATION,  # account or service not found
    21401: Reason.CONFIGURATION,  # invalid sender
    21606: Reason.CONFIGURATION,  # 'From' cannot send SMS
    21608: Reason.CONFIGURATION,  # trial account: number not verified
    21408: Reason.CONFIGURATION,  # no permission for this region
}

# Error codes in status callbacks (undelivered / failed) and what they mean to the assistant.
CALLBACK_ERRORS = {
    30003: Reason.UNREACHABLE,
    30004: Reason.CARRIER_BLOCKED,
    30005: Reason.INVALID_ADDRESS,
    30006: Reason.NOT_MOBILE,
    30007: Reason.CARRIER_BLOCKED,
    21610: Reason.OPTED_OUT,
    21211: Reason.INVALID_ADDRESS,
    21614: Reason.NOT_MOBILE,
}

# Twilio's longest queue time; reminders ask for less so they never arrive after the consult began.
MAX_VALIDITY_SECONDS = 36000


class _RewritingHttpClient(TwilioHttpClient):
    """Sends Twilio's requests to another base URL (a local fake server in tests)."""

    def __init__(self, *, api_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.api_url = api_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        return super().request(method, url.replace(TWILIO_API_URL, self.api_url, 1), *args, **kwargs)


class TwilioBackend(SmsBackend):
    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str = "",
        messaging_service_sid: str = "",
        timeout: float = 10,
        api_url: str = TWILIO_API_URL,
    ) -> None:
        if not (from_number or messaging_service_sid):
            raise ImproperlyConfigured("Twilio needs TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID.")
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.validator = RequestValidator(auth_token)
        if api_url == TWILIO_API_URL:
            http_client = TwilioHttpClient(timeout=timeout)
        else:
            http_client = _RewritingHttpClient(api_url=api_url, timeout=timeout)
        self.client = Client(account_sid, auth_token, http_client=http_client)

    def send(self, *, to: str, body: str, status_callback: str | None = None, valid_for: int | None = None) -> SentSms:
        fields: dict[str, str | int] = {"to": to, "body": body}
        if self.messaging_service_sid:
            fields["messaging_service_sid"] = self.messaging_service_sid
        else:
            fields["from_"] = self.from_number
        if status_callback:
            fields["status_callback"] = status_callback
        if valid_for:
            fields["validity_period"] = max(1, min(valid_for, MAX_VALIDITY_SECONDS))
        try:
            message = self.client.messages.create(**fields)
        except TwilioRestException as error:
            raise _rest_error(error) from error
        except (TwilioException, requests.RequestException) as error:
            raise DeliveryError(f"Twilio could not be reached: {error.__class__.__name__}") from error
        return SentSms(message_id=message.sid, status=message.status or "queued")

    def is_valid_callback(self, *, url: str, params: Mapping[str, str], signature: str) -> bool:
        return bool(signature) and self.validator.validate(url, params, signature)

    def close(self) -> None:
        session = getattr(self.client.http_client, "session", None)
        if session is not None:
            session.close()


def _rest_error(error: TwilioRestException) -> DeliveryError:
    code = error.code if isinstance(error.code, int) else 0
    message = f"Twilio error {code}: {error.msg}"[:500]
    if code in PERMANENT_ERRORS:
        return DeliveryError(message, permanent=True, reason=PERMANENT_ERRORS[code])
    if code == 20429 or error.status >= 500:
        return DeliveryError(message)
    # Any other 4xx is a request Twilio will refuse again the same way.
    return DeliveryError(
        message, permanent=True, reason=Reason.UNKNOWN if error.status != 401 else Reason.CONFIGURATION
    )


def callback_reason(error_code: str) -> str:
    try:
        return CALLBACK_ERRORS.get(int(error_code), Reason.UNKNOWN)
    except ValueError:
        return Reason.UNKNOWN


def _is_signed(request: HttpRequest) -> bool:
    """Twilio signs with the auth token over the exact public URL and every field."""
    url = settings.SITE_URL + request.get_full_path()
    signature = request.headers.get("X-Twilio-Signature", "")
    return get_sms_backend().is_valid_callback(url=url, params=request.POST, signature=signature)


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    """Twilio's delivery reports."""
    if not _is_signed(request):
        return HttpResponseForbidden("Invalid signature.")
    error_code = request.POST.get("ErrorCode", "")
    services.record_sms_status(
        message_id=request.POST.get("MessageSid", ""),
        status=request.POST.get("MessageStatus", ""),
        error_code=error_code,
        reason=callback_reason(error_code),
    )
    # Twilio only needs a 2xx; an unknown message id is answered the same so it is not retried.
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    """Replies to our SMS (Twilio's incoming-message webhook): STOP and START are acted on, the rest ignored."""
    if not _is_signed(request):
        return HttpResponseForbidden("Invalid signature.")
    record_reply(from_number=request.POST.get("From", ""), body=request.POST.get("Body", ""))
    # An empty TwiML answer: no reply of our own (Twilio confirms STOP to the sender itself).
    return HttpResponse('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', content_type="text/xml")


# Mounted by notifications/urls.py (namespace "notifications"). Both refuse every request unless Twilio is
# the configured backend, as only it can check Twilio's signature.
urlpatterns = [
    path("hooks/twilio/status/", twilio_status, name="twilio-status"),
    path("hooks/twilio/inbound/", twilio_inbound, name="twilio-inbound"),
]
