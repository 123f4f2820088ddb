"""The client's join page with its live state, and the agent's waiting room."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from scheduling.selectors import get_visible_appointment
from scheduling.selfservice import self_service_for
from videoproviders.base import VideoProviderError
from videoproviders.selectors import agent_video_problem, happens_in_page, who_can_fix

from . import ratelimit, services
from .lists import waiting_list, waiting_list_context
from .public import page_language, participant_or_none, public, too_many
from .selectors import LinkState, client_page, link_state, messages_for_client, participant_for_token

_TEMPLATES = {
    LinkState.VALID: "waitingroom/join.html",
    LinkState.EXPIRED: "waitingroom/expired.html",
    LinkState.CANCELLED: "waitingroom/cancelled.html",
}


def join(request: HttpRequest, token: str) -> HttpResponse:
    """The page a client opens from the invitation, in the client's language and organisation's time zone."""
    if ratelimit.is_blocked(request):
        return too_many(request)
    participant = participant_or_none(request, token)
    if participant is None:
        raise Http404
    appointment = participant.appointment
    organisation = appointment.organisation
    state = link_state(participant=participant)
    waiting_messages = []
    if state is LinkState.VALID:
        services.record_opened(participant=participant)
        waiting_messages = messages_for_client(appointment_id=appointment.pk)
    language = page_language(request, participant)
    with translation.override(language), timezone.override(organisation.tzinfo):
        response = render(
            request,
            _TEMPLATES[state],
            {
                "participant": participant,
                "appointment": appointment,
                "organisation": organisation,
                "too_early": state is LinkState.VALID and timezone.now() < appointment.start,
                "in_page": state is LinkState.VALID and happens_in_page(appointment=appointment),
                "waiting_messages": waiting_messages,
                "cancelled_by_you": appointment.cancelled_by_participant_id == participant.pk,
                "self_service": self_service_for(participant=participant) if state is LinkState.VALID else None,
            },
            status=410 if state is not LinkState.VALID else 200,
        )
    return public(response)


@require_GET
def short_join(request: HttpRequest, token: str) -> HttpResponse:
    """The SMS's short link: on to the join page, which checks the token (and counts misses) as always."""
    return public(redirect("waitingroom:join", token=token))


@csrf_exempt  # the token in the URL is the credential; no cookie is involved
@require_POST
def presence(request: HttpRequest, token: str) -> HttpResponse:
    """The client's page checks in every few seconds while it is open, and gets its state back."""
    if ratelimit.is_blocked(request):
        return JsonResponse({"state": "blocked"}, status=429)
    participant = participant_or_none(request, token)
    if participant is None:
        return JsonResponse({"state": "unknown"}, status=404)
    data = services.client_state(participant=participant)
    if data["state"] in ("waiting", "knocking"):
        # Knocking is waiting while the consult runs: the agent sees them and hears the bell.
        services.check_in(participant=participant, page=client_page(request))
    return public(JsonResponse(data))


@csrf_exempt  # sent with navigator.sendBeacon when the page closes, which carries no CSRF token
@require_POST
def leave(request: HttpRequest, token: str) -> HttpResponse:
    participant = participant_for_token(token=token)
    if participant is not None:
        services.leave(participant=participant, page=client_page(request))
    return HttpResponse(status=204)


# --- the agent's side ----------------------------------------------------------------------------------


@login_required
@require_GET
def waiting_room_page(request: HttpRequest) -> HttpResponse:
    context = waiting_list_context(request)
    context["video_problem"] = agent_video_problem(user=request.user)
    return render(request, "waitingroom/waiting_room.html", context)


@login_required
@require_GET
def waiting_room_state(request: HttpRequest) -> HttpResponse:
    """The list as HTML for the page to swap in, and who is waiting, so the page can ring for arrivals."""
    context = waiting_list_context(request)
    html = render_to_string("waitingroom/_waiting_list.html", context, request=request)
    return JsonResponse({"html": html, "waiting": context["waiting_ids"]})


@login_required
@require_GET
def arrivals(request: HttpRequest) -> HttpResponse:
    """Who waits for the consults the user leads, for the arrivals bar on every other page of an agent:
    the waiting room's own rule of who sees what, narrowed to their own consults, so that an agent is not
    called away by a colleague's client."""
    user = request.user
    assert isinstance(user, User)  # login_required
    found = waiting_list(user=user, agent_id=user.pk)
    context = {"waiting": found.waiting}
    html = render_to_string("waitingroom/_arrivals_bar.html", context, request=request) if found.waiting else ""
    return JsonResponse({"html": html, "waiting": found.waiting_ids})


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else "waitingroom:waiting-room")


@login_required
@require_POST
def send_message(request: HttpRequest, public_id: str) -> HttpResponse:
    appointment = get_visible_appointment(user=request.user, public_id=public_id)
    wants_json = "application/json" in request.headers.get("Accept", "")
    try:
        services.send_waiting_message(appointment=appointment, sender=request.user, text=request.POST.get("text", ""))
    except ValidationError as error:
        text = error.messages[0]
        if wants_json:
            return JsonResponse({"ok": False, "error": text}, status=400)
        messages.error(request, text)
    else:
        if wants_json:
            return JsonResponse({"ok": True})
        messages.success(request, _("Your message is shown in the waiting room."))
    return _back(request)


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


@login_required
@require_POST
def end(request: HttpRequest, public_id: str) -> HttpResponse:
    appointment = get_visible_appointment(user=request.user, public_id=public_id)
    try:
        services.end_consult(appointment=appointment, user=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("The consult has ended."))
    return _back(request)
