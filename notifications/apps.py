from django.apps import AppConfig
from django.core.signals import setting_changed
from django.utils.translation import gettext_lazy as _


def _reset_sms_backend(*, setting: str, **kwargs) -> None:
    if setting == "SMS_BACKEND":
        from .sms import reset_sms_backend

        reset_sms_backend()


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the system checks

        setting_changed.connect(_reset_sms_backend)
        # anymail's webhook views announce each verified report of the email service by this signal.
        from anymail.signals import tracking

        from .email_service import on_tracking

        tracking.connect(on_tracking, dispatch_uid="notifications.email_service")
