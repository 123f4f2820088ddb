"""A transactional email service (Postmark, Mailgun, Brevo, Amazon SES...) through django-anymail.

settings.EMAIL_SERVICES names each service's anymail backend and tracking webhook; EMAIL_SERVICE picks one.
Sending stays Django's `EmailMessage.send()` (emails.py); this module turns anymail's answers into our one
error type and the service's message id, and mounts the service's delivery reports, which anymail verifies
(basic auth, and Mailgun's HMAC signature) and hands to `on_tracking` as normalized events.
"""

from typing import Any

from anymail.exceptions import AnymailAPIError, AnymailError, AnymailRecipientsRefused
from anymail.signals import AnymailTrackingEvent
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.urls import path
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt

from . import services
from .errors import DeliveryError
from .models import Reason


def service_message_id(email: EmailMessage) -> str | None:
    """The id the service gave the message (what its reports name), or None when it went by SMTP."""
    status = getattr(email, "anymail_status", None)
    return status.message_id if status is not None and isinstance(status.message_id, str) else None


def delivery_error(error: AnymailError | ImproperlyConfigured, email: EmailMessage) -> DeliveryError:
    """What a failed hand-over to the service means for the row."""
    if isinstance(error, ImproperlyConfigured):
        return DeliveryError(
            f"The email service is not set up: {error}"[:500], permanent=True, reason=Reason.CONFIGURATION
        )
    if isinstance(error, AnymailRecipientsRefused):
        # The service refuses the address itself: not an address ("invalid"), or one it suppresses after earlier
        # bounces or complaints ("rejected").
        status = getattr(email, "anymail_status", None)
        invalid = status is not None and status.status == {"invalid"}
        return DeliveryError(
            f"The email service refused the address: {error}"[:500],
            permanent=True,
            reason=Reason.INVALID_ADDRESS if invalid else Reason.SUPPRESSED,
        )
    status = error.status_code if isinstance(error, AnymailAPIError) else None
    message = f"The email service answered {status or 'nothing'}: {error}"[:500]
    if status in (401, 403):
        return DeliveryError(message, permanent=True, reason=Reason.CONFIGURATION)
    if status is not None and 400 <= status < 500 and status != 429:
        # A request the service will refuse again the same way (a sender domain it does not know, a bad field).
        return DeliveryError(message, permanent=True, reason=Reason.CONFIGURATION)
    # No answer, 429 or 5xx: the service is busy or down, which passes.
    return DeliveryError(message)


def on_tracking(sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any) -> None:
    """anymail's `tracking` signal: one verified report from the service."""
    services.record_email_event(
        message_id=event.message_id or "",
        event_type=event.event_type,
        reject_reason=event.reject_reason or "",
        # The service's words and the receiving server's answer (e.g. "550 5.1.1 no such user"), for whoever
        # reads the row in the admin.
        description=f"{esp_name} {event.event_type}: "
        + (" · ".join(part for part in (event.description, event.mta_response) if part) or "-"),
        recipient=event.recipient or "",
    )


@csrf_exempt
def tracking(request: HttpRequest, service: str) -> HttpResponse:
    """The configured service's delivery reports; every other service's address does not exist here."""
    if not settings.EMAIL_SERVICE or service != settings.EMAIL_SERVICE:
        raise Http404
    if not settings.ANYMAIL.get("WEBHOOK_SECRET"):
        # Settings refuse to start without it; this guards a settings override, as anymail would accept anyone.
        return HttpResponseForbidden("Webhook secret not configured.")
    # anymail answers 400 to a wrong signature or basic auth, and 200 to every verified report.
    view = import_string(settings.EMAIL_SERVICES[service]["TRACKING"]).as_view()
    return view(request)


# Mounted by notifications/urls.py (namespace "notifications"), whatever EMAIL_SERVICE is: the view decides per
# request, so the URLs do not depend on a setting that tests change after they are loaded.
urlpatterns = [path("hooks/email/<slug:service>/tracking/", tracking, name="email-tracking")]
