"""Slowing down guessing of join tokens: too many unknown tokens from one address get HTTP 429 for a while.

Counters live in the cache (Redis in production, so every web process sees the same count). When Redis
cannot be reached, each process counts in its own memory until it is back: the limit still holds per
process (an address gets at most the allowance times the number of web processes), and clients' links keep
working instead of answering a server error.
"""

import logging
import time

import redis
from django.conf import settings
from django.core.cache import BaseCache, caches
from django.http import HttpRequest

logger = logging.getLogger(__name__)
# Say it once a minute per process, not on every request of an outage.
WARN_EVERY_SECONDS = 60
_warned_at = 0.0


def _key(request: HttpRequest) -> str:
    # REMOTE_ADDR is the proxy's address behind a proxy; uvicorn --proxy-headers makes it the client's.
    return f"join-misses:{request.META.get('REMOTE_ADDR', '')}"


def _counting(operation):
    """Run `operation(cache)` on the shared cache, or on this process's own when Redis is unreachable."""
    global _warned_at
    try:
        return operation(caches["default"])
    except redis.RedisError as error:
        now = time.monotonic()
        if now - _warned_at > WARN_EVERY_SECONDS:
            _warned_at = now
            logger.warning(
                "Join-link rate limit: Redis is unreachable (%s); counting unknown links per process until it is back",
                error,
            )
        return operation(caches["local"])


def is_blocked(request: HttpRequest) -> bool:
    key = _key(request)
    return (_counting(lambda cache: cache.get(key)) or 0) >= settings.JOIN_TOKEN_MISSES_ALLOWED


def record_miss(request: HttpRequest) -> None:
    key = _key(request)

    def count(cache: BaseCache) -> None:
        # add() starts the window on the first miss; incr() keeps its expiry.
        if not cache.add(key, 1, timeout=settings.JOIN_TOKEN_MISS_WINDOW_SECONDS):
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, timeout=settings.JOIN_TOKEN_MISS_WINDOW_SECONDS)

    _counting(count)
