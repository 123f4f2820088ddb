from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import services
from .models import DeliveryStatus
from .optout import record_reply
from .selectors import failed_messages, get_failed_message
from .sms import get_sms_backend
from .sms.twilio import callback_reason


@login_required
def failed_list(request: HttpRequest) -> HttpResponse:
    return render(request, "notifications/failed_list.html", {"failed": failed_messages(user=request.user)[:200]})


@login_required
@require_POST
def resend(request: HttpRequest, public_id: str) -> HttpResponse:
    notification = get_failed_message(user=request.user, public_id=public_id)
    if notification is None:
        raise Http404
    if services.resend_notification(notification=notification):
        messages.success(
            request, _("The message to %(name)s is being sent again.") % {"name": notification.recipient_name}
        )
    elif notification.status != DeliveryStatus.FAILED:
        messages.info(request, _("This message is no longer marked as failed; nothing was sent again."))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("scheduling:appointment-detail", args=[notification.appointment.public_id])
    return redirect(back)


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    """Twilio's delivery reports. Signed with the auth token over the exact public URL and every field."""
    url = settings.SITE_URL + request.get_full_path()
    signature = request.headers.get("X-Twilio-Signature", "")
    if not get_sms_backend().is_valid_callback(url=url, params=request.POST, signature=signature):
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
    url = settings.SITE_URL + request.get_full_path()
    signature = request.headers.get("X-Twilio-Signature", "")
    if not get_sms_backend().is_valid_callback(url=url, params=request.POST, signature=signature):
        return HttpResponseForbidden("Invalid signature.")
    record_reply(from_number=request.POST.get("From", ""), body=request.POST.get("Body", ""))
    # An empty TwiML answer: no reply of our own (Twilio confirms STOP to the sender itself).
    return HttpResponse('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', content_type="text/xml")
