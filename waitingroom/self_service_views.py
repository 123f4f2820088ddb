"""The client's own page, by the same token as the join link: cancel the consult (with a confirmation) or
ask for another time, until the organisation's cut-off. The link is checked as the join link is (unknown:
404 and counted; expired or cancelled: the same friendly pages), and the rules are scheduling.selfservice's."""

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from scheduling.models import Participant
from scheduling.selfservice import NOTE_MAX_LENGTH, ask_for_another_time, cancel_by_client, self_service_for

from . import ratelimit
from .public import page_language, participant_or_none, public, too_many
from .selectors import LinkState, link_state


class TimeRequestForm(forms.Form):
    note = forms.CharField(
        label=_("Which days or times would suit you?"),
        max_length=NOTE_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("At most 500 characters."),
        error_messages={"required": _("Write which days or times would suit you, so that we can find another time.")},
    )


def _url(name: str, participant: Participant, language: str, **query: str) -> str:
    params = "&".join(f"{key}={value}" for key, value in {"lang": language, **query}.items())
    return f"{reverse(name, kwargs={'token': participant.token})}?{params}"


def _refused(request: HttpRequest, participant: Participant, language: str) -> HttpResponse | None:
    """The join link's own pages for an expired or cancelled link; None for a link that works."""
    state = link_state(participant=participant)
    if state is LinkState.VALID:
        return None
    appointment = participant.appointment
    template = "waitingroom/cancelled.html" if state is LinkState.CANCELLED else "waitingroom/expired.html"
    with translation.override(language), timezone.override(appointment.organisation.tzinfo):
        response = render(
            request,
            template,
            {
                "appointment": appointment,
                "organisation": appointment.organisation,
                "cancelled_by_you": appointment.cancelled_by_participant_id == participant.pk,
            },
            status=410,
        )
    return public(response)


def _page(
    request: HttpRequest, participant: Participant, language: str, template: str, status: int = 200, **extra: object
) -> HttpResponse:
    appointment = participant.appointment
    with translation.override(language), timezone.override(appointment.organisation.tzinfo):
        response = render(
            request,
            template,
            {
                "participant": participant,
                "appointment": appointment,
                "organisation": appointment.organisation,
                "state": self_service_for(participant=participant),
                "page_url": _url("waitingroom:self-service", participant, language),
                "cancel_url": _url("waitingroom:self-service-cancel", participant, language),
                "join_url": _url("waitingroom:join", participant, language),
                "other_language": "en" if language == "nl" else "nl",
                **extra,
            },
            status=status,
        )
    return public(response)


def _open(request: HttpRequest, token: str) -> tuple[Participant, str] | HttpResponse:
    """The link's participant and the page's language, or the answer instead: too many attempts, too many
    changes sent, an expired or cancelled link. An unknown token is a 404 (counted as a miss)."""
    if ratelimit.is_blocked(request):
        return too_many(request)
    participant = participant_or_none(request, token)
    if participant is None:
        raise Http404
    if request.method == "POST" and not ratelimit.self_service_post_allowed(request):
        return too_many(request)
    language = page_language(request, participant)
    return _refused(request, participant, language) or (participant, language)


@require_http_methods(["GET", "POST"])
def self_service(request: HttpRequest, token: str) -> HttpResponse:
    """What the client may still do, and the request for another time (POST)."""
    opened = _open(request, token)
    if isinstance(opened, HttpResponse):
        return opened
    participant, language = opened
    template = "waitingroom/self_service.html"
    if request.method != "POST":
        sent = request.GET.get("sent") == "1"
        return _page(request, participant, language, template, form=TimeRequestForm(), sent=sent)
    form = TimeRequestForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            with translation.override(language):
                ask_for_another_time(participant=participant, note=form.cleaned_data["note"])
        except ValidationError as refusal:
            # About the note: next to it. About the consult (past the cut-off): above the page, which now
            # says whom to contact instead of showing the form.
            if refusal.code in ("required", "max_length"):
                form.add_error("note", refusal)
            else:
                error = refusal.messages[0]
        else:
            return public(redirect(_url("waitingroom:self-service", participant, language, sent="1")))
    if form.errors:
        # Public pages load no script to move the focus to an error summary: the browser takes the client
        # (and their screen reader) to the field with its error instead.
        form.fields["note"].widget.attrs["autofocus"] = True
    return _page(request, participant, language, template, status=400, form=form, error=error)


@require_http_methods(["GET", "POST"])
def self_service_cancel(request: HttpRequest, token: str) -> HttpResponse:
    """The confirmation, "Cancel this consult?" with Yes, cancel and No, keep it; the POST cancels."""
    opened = _open(request, token)
    if isinstance(opened, HttpResponse):
        return opened
    participant, language = opened
    if request.method != "POST":
        if not self_service_for(participant=participant).may_cancel:
            return public(redirect(_url("waitingroom:self-service", participant, language)))
        return _page(request, participant, language, "waitingroom/self_service_cancel.html")
    try:
        with translation.override(language):
            cancel_by_client(participant=participant)
    except ValidationError as error:
        template = "waitingroom/self_service.html"
        return _page(
            request, participant, language, template, status=400, form=TimeRequestForm(), error=error.messages[0]
        )
    return public(redirect(_url("waitingroom:self-service", participant, language)))
