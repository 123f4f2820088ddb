"""System checks for the settings that keep the video services' secrets safe.

They live here because this app owns the encrypted fields and the outbound API addresses today; the
settings themselves are shared (config/encryption.py, config/outbound.py).
"""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.checks import Warning as CheckWarning
from django.core.exceptions import ImproperlyConfigured

from config import encryption, outbound


@register(Tags.security)
def settings_are_valid(app_configs, **kwargs) -> list[Error]:
    """A mistyped key or address stops the start-up, instead of the first consult that needs it."""
    errors = []
    try:
        encryption.fernets_from(settings.ENCRYPTION_KEYS)
    except ImproperlyConfigured as error:
        errors.append(Error(str(error), id="videoproviders.E001"))
    try:
        outbound.allowed_prefixes()
    except ImproperlyConfigured as error:
        errors.append(Error(str(error), id="videoproviders.E002"))
    return errors


@register(Tags.security, deploy=True)
def encryption_keys_are_set(app_configs, **kwargs) -> list[CheckWarning]:
    if settings.ENCRYPTION_KEYS:
        return []
    return [
        CheckWarning(
            "ENCRYPTION_KEYS is not set: stored secrets are encrypted with a key generated on this machine "
            "(VAR_DIR/encryption_key). Other servers cannot read them, and they are lost with that file.",
            hint=f"Generate a key with {encryption.GENERATE_COMMAND} and set ENCRYPTION_KEYS to it on every server.",
            id="videoproviders.W001",
        )
    ]
