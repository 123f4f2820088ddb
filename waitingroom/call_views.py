"""Built-in video calls: the agent's call page, and what the pages in a call ask and send.

Every request is checked like the rest of the app: the agent's by their session and the consult's agent
only; a client's by the token of their link, valid, and let in by the agent. The call's streams are in
streams.py; the rules in calls.py.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from scheduling.models import Appointment, Participant
from scheduling.selectors import get_visible_appointment

from . import calls, ratelimit
from .lists import waiting_list_context
from .selectors import LinkState, link_state, participant_for_token


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _agents_running_consult(request: HttpRequest, public_id: str) -> Appointment:
    appointment = get_visible_appointment(user=request.user, public_id=public_id)
    if appointment.agent_id != request.user.pk:
        raise PermissionDenied(_("Only the consult's agent can lead its call."))
    return appointment


def _state(appointment: Appointment, *, me: Participant | None, session: str, host: bool) -> dict:
    provider = calls.call_provider(appointment=appointment)
    if provider is None or not appointment.is_active:
        return {"state": "ended" if appointment.ended_at else "closed"}
    mine = calls.peer_id(me)
    data = {
        "state": "call",
        "me": {"peer": mine, "name": me.name if me else appointment.agent.full_name, "host": host},
        "peers": [peer.__dict__ for peer in calls.peers(appointment=appointment, session=session)],
        "ice": provider.ice_config(peer=mine, expires_at=appointment.link_expires_at),
    }
    if host:
        data["knocking"] = [{"peer": calls.peer_id(p), "name": p.name} for p in calls.knocking(appointment=appointment)]
    return data


# --- the agent ------------------------------------------------------------------------------------------


@login_required
@require_GET
def call_page(request: HttpRequest, public_id: str) -> HttpResponse:
    """The agent's side of a built-in call, with the waiting room beside it so arrivals still ring."""
    appointment = _agents_running_consult(request, public_id)
    if calls.call_provider(appointment=appointment) is None or not appointment.is_active:
        messages.info(request, _("This consult is not running. Press Online consult to start it."))
        return redirect("scheduling:appointment-detail", public_id=appointment.public_id)
    context = waiting_list_context(request) | {"appointment": appointment, "organisation": appointment.organisation}
    return _no_store(render(request, "waitingroom/call.html", context))


@login_required
@require_GET
def agent_state(request: HttpRequest, public_id: str) -> HttpResponse:
    appointment = _agents_running_consult(request, public_id)
    session = request.GET.get("session", "")
    return _no_store(JsonResponse(_state(appointment, me=None, session=session, host=True)))


def _relay(appointment: Appointment, sender: Participant | None, request: HttpRequest) -> HttpResponse:
    if request.content_type != "application/json":
        # The page sends JSON; a form (whose body the middleware has parsed already) is not a signal.
        return JsonResponse({"error": "send JSON"}, status=400)
    try:
        calls.relay_signal(
            appointment=appointment, sender=sender, session=request.GET.get("session", ""), body=request.body
        )
    except PermissionDenied:
        return JsonResponse({"error": "not in this call"}, status=403)
    except ValidationError as error:
        if error.code == "gone":
            # The addressee left a moment ago (the call ended, a page reloaded): nothing to pass on, nothing wrong.
            return HttpResponse(status=204)
        status = {"too_large": 413, "rate": 429}.get(error.code, 400)
        return JsonResponse({"error": error.messages[0]}, status=status)
    return HttpResponse(status=204)


@login_required
@require_POST
def agent_signal(request: HttpRequest, public_id: str) -> HttpResponse:
    return _relay(_agents_running_consult(request, public_id), None, request)


def _participant_of(appointment: Appointment, request: HttpRequest) -> Participant:
    participant = calls.participant_by_peer(appointment=appointment, peer=request.POST.get("peer", ""))
    if participant is None:
        raise Http404
    return participant


def _answer(request: HttpRequest, appointment: Appointment, done: str) -> HttpResponse:
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"ok": True})
    messages.success(request, done)
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("waitingroom:call", public_id=appointment.public_id)


@login_required
@require_POST
def admit(request: HttpRequest, public_id: str) -> HttpResponse:
    appointment = _agents_running_consult(request, public_id)
    participant = _participant_of(appointment, request)
    try:
        calls.admit(appointment=appointment, user=request.user, participant=participant)
    except PermissionDenied:
        messages.error(request, _("This consult is not running, so nobody can be let in."))
        return redirect("scheduling:appointment-detail", public_id=appointment.public_id)
    return _answer(request, appointment, _("%(name)s is let in.") % {"name": participant.name})


@login_required
@require_POST
def remove(request: HttpRequest, public_id: str) -> HttpResponse:
    appointment = _agents_running_consult(request, public_id)
    participant = _participant_of(appointment, request)
    calls.remove(appointment=appointment, user=request.user, participant=participant)
    return _answer(request, appointment, _("%(name)s has been taken out of the call.") % {"name": participant.name})


# --- the client -----------------------------------------------------------------------------------------


def _client(request: HttpRequest, token: str) -> Participant | None:
    """The participant of a valid link; unknown tokens count towards the address's limit of misses."""
    participant = participant_for_token(token=token)
    if participant is None:
        ratelimit.record_miss(request)
        return None
    return participant if link_state(participant=participant) is LinkState.VALID else None


def _too_many() -> HttpResponse:
    return JsonResponse({"state": "blocked"}, status=429)


@require_GET
def client_state(request: HttpRequest, token: str) -> HttpResponse:
    if ratelimit.is_blocked(request):
        return _too_many()
    participant = _client(request, token)
    if participant is None:
        return JsonResponse({"state": "unknown"}, status=404)
    appointment = participant.appointment
    if not calls.may_join(appointment=appointment, participant=participant):
        # Not (or no longer) let in: the waiting page's own state says why.
        return _no_store(JsonResponse({"state": calls.client_state(participant=participant)}, status=403))
    state = _state(appointment, me=participant, session=request.GET.get("session", ""), host=False)
    return _no_store(JsonResponse(state))


@csrf_exempt  # the token in the URL is the credential; no cookie is involved
@require_POST
def client_signal(request: HttpRequest, token: str) -> HttpResponse:
    if ratelimit.is_blocked(request):
        return _too_many()
    participant = _client(request, token)
    if participant is None:
        return JsonResponse({"error": "unknown"}, status=404)
    return _relay(participant.appointment, participant, request)
