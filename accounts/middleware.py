from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
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
_SECOND_STEP_OPEN = ("/accounts/mfa/", "/accounts/logout/", "/static/", "/media/", "/i18n/", "/join/", "/j/", "/hooks/")


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

# A page's own requests say so with this header (static/js: the waiting room's polling, the idle clock's
# "how long is left?"), so that a page left open does not keep its session alive.
BACKGROUND_HEADER = "X-Background"
# Event streams are background by nature, and EventSource cannot send a header. A logo is fetched by the page,
# and a publicly cached answer must not carry the session cookie that a noted activity would set.
BACKGROUND_VIEWS = frozenset(
    {
        "logo",
        "waitingroom:agent-events",
        "waitingroom:client-events",
        "waitingroom:agent-call-events",
        "waitingroom:client-call-events",
    }
)


def is_background(request: HttpRequest) -> bool:
    """Whether the page made this request by itself rather than the person doing something. Claiming it
    falsely only ends one's own session sooner, so the header needs no proof."""
    if request.headers.get(BACKGROUND_HEADER) == "1":
        return True
    try:
        return resolve(request.path_info).view_name in BACKGROUND_VIEWS
    except Resolver404:
        return False


def idle_seconds_left(session, *, now: int | None = None) -> int:
    """Seconds until the session ends for want of activity; below zero once it has."""
    now = int(timezone.now().timestamp()) if now is None else now
    seen = session.get(SEEN_AT, now)
    return seen + settings.SESSION_IDLE_SECONDS - now


def note_activity(session, *, now: int | None = None) -> None:
    session[SEEN_AT] = int(timezone.now().timestamp()) if now is None else now


def start_activity_clock(sender, request: HttpRequest, user, **kwargs) -> None:
    note_activity(request.session)


def draft_owner(user: AbstractBaseUser) -> str:
    """Who a draft kept in the browser belongs to (static/js/idle.js), without the sequential user id."""
    return salted_hmac("accounts.idle.draft-owner", str(user.pk)).hexdigest()[:20]


@dataclass(frozen=True)
class IdleClock:
    """What templates/base.html hands static/js/idle.js so the page counts down with the server."""

    seconds_left: int
    user: AbstractBaseUser

    @property
    def idle_seconds(self) -> int:
        return settings.SESSION_IDLE_SECONDS

    @property
    def warning_seconds(self) -> int:
        # A warning longer than half the idle time would greet every page; WCAG 2.2.1 asks for 20 s at least.
        return min(settings.SESSION_IDLE_WARNING_SECONDS, settings.SESSION_IDLE_SECONDS // 2)

    @property
    def owner(self) -> str:
        return draft_owner(self.user)


class IdleTimeoutMiddleware:
    """Logs a signed-in user out after SESSION_IDLE_SECONDS in which the person did nothing, as a screen lock
    would: a practice's computer left open shows no client data for long. What the page does by itself
    (is_background) neither counts nor keeps the session; the page reports typing and clicks that make no
    request itself (accounts.activity) and warns before the end. The time of the last activity is written
    at most once a minute, so a busy person does not write the session on every request.

    Without JavaScript nothing warns, and a form posted after the idle time is lost with the logout; with it,
    the page keeps what was typed and puts it back after the next login (static/js/idle.js)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(timezone.now().timestamp())
            background = is_background(request)
            if idle_seconds_left(request.session, now=now) < 0:
                logout(request)
                messages.info(request, _("You were logged out after a while without activity. Please log in again."))
                if background:
                    # No redirect for a script to follow into the login page's HTML: the page's script sees
                    # this, keeps what was typed and opens the login page itself.
                    return JsonResponse({"signed_out": True}, status=401)
                return redirect(f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}")
            seen = request.session.get(SEEN_AT)
            if seen is None or (not background and now - seen >= min(60, settings.SESSION_IDLE_SECONDS // 10)):
                note_activity(request.session, now=now)
            request.idle_clock = IdleClock(seconds_left=idle_seconds_left(request.session, now=now), user=request.user)
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
