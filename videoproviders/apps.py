from django.apps import AppConfig
from django.core.signals import setting_changed
from django.utils.translation import gettext_lazy as _


def _reset_on_setting_change(*, setting: str, **kwargs) -> None:
    if setting == "VIDEO_PROVIDERS":
        from .registry import providers

        providers.reset()
    if setting in ("ENCRYPTION_KEYS", "VAR_DIR"):
        from config import encryption

        encryption.reset()


class VideoprovidersConfig(AppConfig):
    name = "videoproviders"
    verbose_name = _("Video")

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the system checks

        setting_changed.connect(_reset_on_setting_change)
