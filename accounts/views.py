"""Login with its second step, and the user's own two-factor settings. The rules live in accounts.mfa."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import mfa
from .forms import CodeForm, EmailAuthenticationForm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        user = self.request.user
        step = mfa.second_step(user)
        mfa.mark_pending(self.request.session, step)
        if step is not None:
            name = "accounts:mfa-setup" if step == mfa.SETUP else "accounts:mfa-verify"
            response = redirect(f"{reverse(name)}?{urlencode({'next': self.get_success_url()})}")
        # The pages speak the user's own language from the login on (the NL/EN button still switches).
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            samesite="Lax",
        )
        return response


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("scheduling:dashboard")


@login_required
@require_http_methods(["GET", "POST"])
def mfa_verify(request: HttpRequest) -> HttpResponse:
    """The second step of a login: the code from the app, or a backup code."""
    if request.session.get(mfa.MFA_SESSION_KEY) != mfa.VERIFY:
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = mfa.verify(user=request.user, token=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            mfa.mark_pending(request.session, None)
            # A new session key after the second step, as after the first.
            request.session.cycle_key()
            if device.persistent_id.startswith("otp_static"):
                left = mfa.backup_codes_left(user=request.user)
                messages.warning(
                    request,
                    _("You used a backup code; %(count)d are left. Make new ones under Two-factor authentication.")
                    % {"count": left},
                )
            return redirect(_next_url(request))
    return render(request, "accounts/mfa_verify.html", {"form": form, "next": _next_url(request)})


@login_required
@require_http_methods(["GET", "POST"])
def mfa_setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the code, type the first code it shows, keep the backup codes."""
    pending = request.session.get(mfa.MFA_SESSION_KEY)
    if pending == mfa.VERIFY:
        return redirect(f"{reverse('accounts:mfa-verify')}?{urlencode({'next': _next_url(request)})}")
    form = CodeForm(request.POST or None)
    enrolment = mfa.pending_enrolment(user=request.user) if request.method == "POST" else None
    if request.method == "POST" and form.is_valid():
        try:
            _device, codes = mfa.confirm_enrolment(user=request.user, token=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            mfa.mark_pending(request.session, None)
            request.session.cycle_key()
            return render(request, "accounts/mfa_backup_codes.html", {"codes": codes, "next": _next_url(request)})
    if enrolment is None:
        enrolment = mfa.start_enrolment(user=request.user)
    context = {
        "form": form,
        "enrolment": enrolment,
        "required_by": mfa.required_by(request.user) if pending == mfa.SETUP else None,
        "next": _next_url(request),
    }
    return render(request, "accounts/mfa_setup.html", context)


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """The user's two-factor settings: on or off, backup codes left, new codes, switching it off."""
    user = request.user
    context = {
        "enabled": mfa.has_mfa(user),
        "required": mfa.mfa_required(user),
        "codes_left": mfa.backup_codes_left(user=user),
        "form": CodeForm(),
    }
    return render(request, "accounts/security.html", context)


@login_required
@require_POST
def mfa_backup_codes(request: HttpRequest) -> HttpResponse:
    if not mfa.has_mfa(request.user):
        return redirect("accounts:security")
    codes = mfa.new_backup_codes(user=request.user)
    return render(request, "accounts/mfa_backup_codes.html", {"codes": codes, "next": reverse("accounts:security")})


@login_required
@require_POST
def mfa_disable(request: HttpRequest) -> HttpResponse:
    """Switch it off with a current code, unless the admin requires it."""
    user = request.user
    if mfa.mfa_required(user):
        messages.error(request, _("Your organisation requires two-factor authentication; it cannot be switched off."))
        return redirect("accounts:security")
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            mfa.verify(user=user, token=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            mfa.remove_mfa(user=user)
            messages.success(request, _("Two-factor authentication is off."))
            return redirect("accounts:security")
    context = {"enabled": True, "required": False, "codes_left": mfa.backup_codes_left(user=user), "form": form}
    return render(request, "accounts/security.html", context, status=400)


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """What django-axes shows instead of the login once an account or address is locked."""
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "accounts/locked_out.html", context, status=429)
