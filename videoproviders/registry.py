"""Video providers by alias, from settings.VIDEO_PROVIDERS, in the manner of Django's STORAGES:

    VIDEO_PROVIDERS = {"whereby": {"BACKEND": "videoproviders.whereby.WherebyProvider", "OPTIONS": {...}}}

Adding a provider means one module with a VideoProvider subclass (and its webhooks' views and
`urlpatterns`, if it has any) and one line in that setting.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.backends import backend_module, build_backend

from .base import VideoProvider


class ProviderHandler:
    def __init__(self) -> None:
        self._providers: dict[str, VideoProvider] = {}

    def __contains__(self, alias: str) -> bool:
        return alias in settings.VIDEO_PROVIDERS

    def __getitem__(self, alias: str) -> VideoProvider:
        if alias not in self._providers:
            try:
                config = settings.VIDEO_PROVIDERS[alias]
            except KeyError:
                raise ImproperlyConfigured(f"VIDEO_PROVIDERS has no provider {alias!r}") from None
            self._providers[alias] = build_backend(config, base=VideoProvider, setting="VIDEO_PROVIDERS")
        return self._providers[alias]

    def reset(self) -> None:
        for provider in self._providers.values():
            provider.close()
        self._providers = {}


providers = ProviderHandler()


def provider_choices() -> list[tuple[str, str]]:
    """The configured providers as model field choices; the label comes from the provider class."""
    return [(alias, str(providers[alias].label or alias)) for alias in settings.VIDEO_PROVIDERS]


def provider_modules() -> list[str]:
    """The modules of the configured providers; videoproviders/urls.py mounts the webhooks they define."""
    return [backend_module(config) for config in settings.VIDEO_PROVIDERS.values()]
