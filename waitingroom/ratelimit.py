"""Slowing down guessing of join tokens: too many unknown tokens from one address get HTTP 429 for a while.

Counters live in the cache (Redis in production, so every web process sees the same count).
"""

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def _key(request: HttpRequest) -> str:
    # REMOTE_ADDR is the proxy's address behind a proxy; uvicorn --proxy-headers makes it the client's.
    return f"join-misses:{request.META.get('REMOTE_ADDR', '')}"


def is_blocked(request: HttpRequest) -> bool:
    return (cache.get(_key(request)) or 0) >= settings.JOIN_TOKEN_MISSES_ALLOWED


def record_miss(request: HttpRequest) -> None:
    key = _key(request)
    # add() starts the window on the first miss; incr() keeps its expiry.
    if not cache.add(key, 1, timeout=settings.JOIN_TOKEN_MISS_WINDOW_SECONDS):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=settings.JOIN_TOKEN_MISS_WINDOW_SECONDS)
