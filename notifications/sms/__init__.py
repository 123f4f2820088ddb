"""SMS backends, chosen by dotted path in settings.SMS_BACKEND like Django's email backends.

    SMS_BACKEND = {"BACKEND": "notifications.sms.twilio.TwilioBackend", "OPTIONS": {...}}

Adding a provider means one module with a subclass of SmsBackend (and its webhooks' views and
`urlpatterns`, if it has any) and one settings line.
"""

import pkgutil
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from config.backends import backend_module, build_backend


@dataclass(frozen=True)
class SentSms:
    message_id: str
    # The provider's first status, e.g. Twilio's "queued"; later ones arrive by status callback.
    status: str = "sent"


class SmsBackend(ABC):
    """Contract: send one text, return the provider's id, or raise notifications.errors.DeliveryError."""

    @abstractmethod
    def send(self, *, to: str, body: str, status_callback: str | None = None, valid_for: int | None = None) -> SentSms:
        """Hand the text to the provider; `valid_for` seconds after which it must not be delivered."""

    def is_valid_callback(self, *, url: str, params: Mapping[str, str], signature: str) -> bool:
        """Whether a status callback really comes from the provider. Backends without callbacks refuse all."""
        return False

    def close(self) -> None:  # noqa: B027 - optional: most backends hold no connection
        """Release connections; called when the settings change (tests) or the process ends."""


def build_sms_backend(config: Mapping[str, Any]) -> SmsBackend:
    return build_backend(config, base=SmsBackend, setting="SMS_BACKEND")


_backend: SmsBackend | None = None


def get_sms_backend() -> SmsBackend:
    """The configured backend, built once per process (Twilio keeps its HTTP connection pool)."""
    global _backend
    if _backend is None:
        _backend = build_sms_backend(settings.SMS_BACKEND)
    return _backend


def reset_sms_backend() -> None:
    global _backend
    if _backend is not None:
        _backend.close()
    _backend = None


def sms_backend_modules() -> list[str]:
    """The modules whose webhooks notifications/urls.py mounts: the configured backend's, and those of every
    backend shipped in this package. The shipped ones stay mounted whichever backend is configured (their
    views refuse what the configured backend does not sign), so the URLs do not depend on SMS_BACKEND, which
    tests change per test after the URLs are loaded.
    """
    shipped = [f"{__name__}.{module.name}" for module in pkgutil.iter_modules(__path__)]
    return [backend_module(settings.SMS_BACKEND), *shipped]
