from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from scheduling.selectors import get_visible_appointment
from videoproviders.base import VideoProviderError
from videoproviders.selectors import who_can_fix

from . import services
from .selectors import LinkState, link_state, participant_for_token

_TEMPLATES = {
    LinkState.VALID: "waitingroom/join.html",
    LinkState.EXPIRED: "waitingroom/expired.html",
    LinkState.CANCELLED: "waitingroom/cancelled.html",
}


def join(request: HttpRequest, token: str) -> HttpResponse:
    """The page a client opens from the invitation, in the client's language and organisation's time zone."""
    participant = participant_for_token(token=token)
    if participant is None:
        raise Http404
    appointment = participant.appointment
    organisation = appointment.organisation
    state = link_state(participant=participant)
    with translation.override(participant.language), timezone.override(organisation.tzinfo):
        response = render(
            request,
            _TEMPLATES[state],
            {
                "participant": participant,
                "appointment": appointment,
                "organisation": organisation,
                "too_early": state is LinkState.VALID and timezone.now() < appointment.start,
            },
            status=410 if state is not LinkState.VALID else 200,
        )
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
@require_POST
def start(request: HttpRequest, public_id: str) -> HttpResponse:
    """Online consult: send the agent into the consult's video room as its host."""
    appointment = get_visible_appointment(user=request.user, public_id=public_id)
    try:
        host_url = services.start_consult(appointment=appointment, user=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    except VideoProviderError as error:
        if error.permanent:
            who = who_can_fix(organisation_id=appointment.organisation_id)
            messages.error(
                request,
                _("The video room could not be opened: %(reason)s. %(who)s can fix this in the admin.")
                % {"reason": error.message.rstrip("."), "who": who},
            )
        else:
            messages.error(
                request,
                _("The video room could not be opened: %(reason)s Press Online consult to try again.")
                % {"reason": error.message},
            )
    else:
        response = redirect(host_url)
        response["Cache-Control"] = "no-store"
        return response
    return redirect("scheduling:appointment-detail", public_id=appointment.public_id)
