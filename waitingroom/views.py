from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation

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
