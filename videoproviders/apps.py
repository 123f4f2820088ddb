from django.apps import AppConfig
from django.core.signals import setting_changed
from django.utils.translation import gettext_lazy as _


def _reset_providers(*, setting: str, **kwargs) -> None:
    if setting == "VIDEO_PROVIDERS":
        from .registry import providers

        providers.reset()


class VideoprovidersConfig(AppConfig):
    name = "videoproviders"
    verbose_name = _("Video")

    def ready(self) -> None:
        setting_changed.connect(_reset_providers)
