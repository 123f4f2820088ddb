"""Two-factor authentication: a TOTP authenticator app plus one-time backup codes (django-otp devices).

Whether a login needs a second step is decided once, at login, and kept in the session (`MFA_SESSION_KEY`):
pages then cost no query for it. An admin who requires MFA therefore reaches each user at their next login.
"""

from dataclasses import dataclass

import segno
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import User

# What the session still asks of the user before any page opens: "verify" a code, or "setup" an app.
MFA_SESSION_KEY = "mfa_pending"
VERIFY = "verify"
SETUP = "setup"
BACKUP_CODE_COUNT = 10


def mfa_required(user: User) -> bool:
    """The admin requires it for this user, or for the whole organisation."""
    organisation = user.organisation
    return user.require_mfa or (organisation is not None and organisation.require_mfa)


def required_by(user: User) -> str | None:
    """Who asks this user for a second step: "organisation" (everyone), "admin" (this user), or None."""
    if user.organisation is not None and user.organisation.require_mfa:
        return "organisation"
    return "admin" if user.require_mfa else None


def has_mfa(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def second_step(user: User) -> str | None:
    """What a login with the right password still needs: a code, an app to set up, or nothing."""
    if has_mfa(user):
        return VERIFY
    if mfa_required(user):
        return SETUP
    return None


def mark_pending(session: SessionBase, step: str | None) -> None:
    if step:
        session[MFA_SESSION_KEY] = step
    else:
        session.pop(MFA_SESSION_KEY, None)


@dataclass(frozen=True)
class Enrolment:
    device: TOTPDevice

    @property
    def secret(self) -> str:
        """The key for typing into an app by hand, in groups of four."""
        from base64 import b32encode

        key = b32encode(self.device.bin_key).decode()
        return " ".join(key[i : i + 4] for i in range(0, len(key), 4))

    @property
    def qr_svg(self) -> str:
        # Drawn on the server as inline SVG: no script, no external service ever sees the secret.
        return segno.make(self.device.config_url, error="m").svg_inline(scale=5, border=2, dark="#1d2b36")


def start_enrolment(*, user: User) -> Enrolment:
    """A new unconfirmed app for the user (an unfinished earlier one is replaced)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    return Enrolment(device=device)


def pending_enrolment(*, user: User) -> Enrolment | None:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return Enrolment(device=device) if device else None


@transaction.atomic
def confirm_enrolment(*, user: User, token: str) -> tuple[TOTPDevice, list[str]]:
    """Check the first code from the app; on success the app counts and fresh backup codes are returned."""
    enrolment = pending_enrolment(user=user)
    if enrolment is None:
        raise ValidationError(_("Start again: the set-up has expired."), code="no_enrolment")
    if not enrolment.device.verify_token(_digits(token)):
        raise ValidationError(_("That code is not correct. Check the time on your phone and try the next code."))
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    enrolment.device.confirmed = True
    enrolment.device.save(update_fields=["confirmed"])
    return enrolment.device, new_backup_codes(user=user)


def new_backup_codes(*, user: User) -> list[str]:
    """Ten one-time codes for when the phone is not at hand; earlier codes stop working."""
    device, _created = StaticDevice.objects.get_or_create(user=user, defaults={"name": "backup"})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def backup_codes_left(*, user: User) -> int:
    return StaticToken.objects.filter(device__user=user).count()


def verify(*, user: User, token: str) -> TOTPDevice | StaticDevice:
    """The device that accepts this code (the app's current code, or an unused backup code)."""
    token = token.strip().replace(" ", "").replace("-", "")
    # Six digits come from the app; anything else can only be a backup code. Trying a backup code on the
    # app would count as a wrong app code and slow the next login down.
    is_app_code = token.isdigit() and len(token) == 6
    devices: list[TOTPDevice | StaticDevice] = list(
        TOTPDevice.objects.filter(user=user, confirmed=True) if is_app_code else StaticDevice.objects.filter(user=user)
    )
    for device in devices:
        allowed, details = device.verify_is_allowed()
        if not allowed:
            raise ValidationError(
                _("Too many wrong codes. Wait until %(time)s and try again.")
                % {"time": details["locked_until"].astimezone().strftime("%H:%M:%S")}
                if details and details.get("locked_until")
                else _("Too many wrong codes. Wait a moment and try again.")
            )
        if device.verify_token(token if is_app_code else token.lower()):
            return device
    raise ValidationError(_("That code is not correct."))


def _digits(token: str) -> str:
    return "".join(char for char in token if char.isdigit())


@transaction.atomic
def remove_mfa(*, user: User) -> None:
    """Forget the user's app and backup codes (their own choice, or an admin's reset of a lost phone)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
