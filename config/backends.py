"""Building backends named by dotted path in settings, in the manner of Django's STORAGES."""

import inspect
from collections.abc import Iterable, Mapping
from importlib import import_module
from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern, URLResolver
from django.utils.module_loading import import_string

T = TypeVar("T")


def build_backend(config: Mapping[str, Any], *, base: type[T], setting: str) -> T:
    """Import config["BACKEND"] and call it with config["OPTIONS"], refusing options it does not take.

    A misspelt option would otherwise be ignored silently, or fail with a bare TypeError deep in a task.
    """
    try:
        backend_class = import_string(config["BACKEND"])
    except (KeyError, ImportError) as error:
        raise ImproperlyConfigured(f"{setting}: cannot load the backend {config.get('BACKEND')!r}: {error}") from error
    if not (isinstance(backend_class, type) and issubclass(backend_class, base)):
        raise ImproperlyConfigured(f"{setting}: {config['BACKEND']} is not a {base.__name__}")
    options = dict(config.get("OPTIONS", {}))
    accepted = set(inspect.signature(backend_class.__init__).parameters) - {"self"}
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise ImproperlyConfigured(f"{config['BACKEND']} does not take the option(s): {', '.join(unknown)}")
    return backend_class(**options)


def backend_module(config: dict) -> str:
    """The module that holds config["BACKEND"]: the provider's one module, with its transport and webhooks."""
    return config["BACKEND"].rpartition(".")[0]


def provider_urlpatterns(modules: Iterable[str]) -> list[URLPattern | URLResolver]:
    """The `urlpatterns` of each named provider module that defines some, in the order given.

    A provider's webhooks live beside its transport, so adding a provider stays one module and one settings
    line: the app's urls.py mounts whatever the configured modules bring.
    """
    patterns: list[URLPattern | URLResolver] = []
    for name in dict.fromkeys(modules):
        patterns += getattr(import_module(name), "urlpatterns", [])
    return patterns
