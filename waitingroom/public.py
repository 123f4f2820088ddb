"""What every page a client opens by their link shares: no caching or indexing, the token's participant
(an unknown token counts towards the address's misses) and the "too many attempts" answer."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from scheduling.models import Participant

from . import ratelimit
from .selectors import participant_for_token


def public(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def participant_or_none(request: HttpRequest, token: str) -> Participant | None:
    """The link's participant; an unknown token counts towards the address's limit of misses."""
    participant = participant_for_token(token=token)
    if participant is None:
        ratelimit.record_miss(request)
    return participant


def too_many(request: HttpRequest) -> HttpResponse:
    response = render(request, "waitingroom/too_many.html", status=429)
    response["Retry-After"] = "600"
    return public(response)


def page_language(request: HttpRequest, participant: Participant) -> str:
    """The client may switch language on their pages; their own language is the default."""
    chosen = request.GET.get("lang", "")
    return chosen if chosen in ("nl", "en") else participant.language
