from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .models import DeliveryStatus
from .selectors import failed_messages, get_failed_message


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
