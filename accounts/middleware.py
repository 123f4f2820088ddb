from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .mfa import MFA_SESSION_KEY, SETUP


class OrganisationTimezoneMiddleware:
    """Shows every time in the signed-in user's organisation's time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        organisation = getattr(user, "organisation", None) if user and user.is_authenticated else None
        if organisation is not None:
            timezone.activate(organisation.tzinfo)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def client_address(request: HttpRequest) -> str | None:
    """The client's address as the server sees it (for counting failed logins)."""
    return request.META.get("REMOTE_ADDR")


def login_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The account a login is for, as stored: addresses are lower case, so 'A@x' and 'a@x' count as one."""
    username = (credentials or {}).get("username") or request.POST.get("username")
    return username.strip().lower() if username else None


# Pages a user between password and second step may open: the step itself, leaving, and what any visitor
# may open (clients' join links, webhooks, static files, the language switch).
_SECOND_STEP_OPEN = ("/accounts/mfa/", "/accounts/logout/", "/static/", "/media/", "/i18n/", "/join/", "/hooks/")


class SecondStepMiddleware:
    """Until the code is given (or the app is set up, where MFA is required), a signed-in user reaches
    nothing but that step. The need is decided at login and kept in the session, so this costs no query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        step = request.session.get(MFA_SESSION_KEY) if hasattr(request, "session") else None
        if step and request.user.is_authenticated and not request.path.startswith(_SECOND_STEP_OPEN):
            name = "accounts:mfa-setup" if step == SETUP else "accounts:mfa-verify"
            return redirect(f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


SEEN_AT = "seen_at"


def start_activity_clock(sender, request: HttpRequest, user, **kwargs) -> None:
    request.session[SEEN_AT] = int(timezone.now().timestamp())


class IdleTimeoutMiddleware:
    """Logs a signed-in user out after SESSION_IDLE_MINUTES without a request, as a screen lock would: a
    practice's computer left open shows no client data for long. The time of the last request is written
    at most once a minute, so pages that poll do not write the session on every call."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(timezone.now().timestamp())
            seen = request.session.get(SEEN_AT)
            if seen is not None and now - seen > settings.SESSION_IDLE_MINUTES * 60:
                logout(request)
                messages.info(request, _("You were logged out after a while without activity. Please log in again."))
                return redirect(f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}")
            if seen is None or now - seen >= 60:
                request.session[SEEN_AT] = now
        return self.get_response(request)


class NullByteGuardMiddleware:
    """Refuses a request whose parameters carry a NUL byte: no person types one, and PostgreSQL refuses it
    in any query, which would otherwise surface as a server error wherever a value reaches a lookup (the
    forms already refuse it; searches and filters do not)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Webhooks read their raw body to check its signature; parsing it here would use it up.
        form = request.method == "POST" and not request.path.startswith("/hooks/")
        if "\x00" in request.path or _has_nul(request.GET) or (form and _has_nul(request.POST)):
            return HttpResponseBadRequest("A request parameter contains a NUL byte.")
        return self.get_response(request)


def _has_nul(params) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in params.lists())
