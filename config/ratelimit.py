"""Counting requests per key and time window, for rate limits.

Counters live in the cache: Redis in production, so every web process sees the same count. When Redis
cannot be reached, each process counts in its own memory until it is back (the "local" cache): a limit then
holds per process, which is looser but never stops legitimate requests with a server error. The log says so
once a minute per process.
"""

import logging
import time
from collections.abc import Callable
from typing import TypeVar

import redis
from django.core.cache import BaseCache, caches

logger = logging.getLogger(__name__)
WARN_EVERY_SECONDS = 60
_warned_at = 0.0
T = TypeVar("T")


def counting(operation: Callable[[BaseCache], T], *, purpose: str) -> T:
    """Run `operation(cache)` on the shared cache, or on this process's own when Redis is unreachable."""
    global _warned_at
    try:
        return operation(caches["default"])
    except redis.RedisError as error:
        now = time.monotonic()
        if now - _warned_at > WARN_EVERY_SECONDS:
            _warned_at = now
            logger.warning("%s: Redis is unreachable (%s); counting per process until it is back", purpose, error)
        return operation(caches["local"])


def count(key: str, *, window: int, purpose: str = "Rate limit") -> int:
    """Add one to the key's count in its window (which starts with the first hit) and return the count."""

    def hit(cache: BaseCache) -> int:
        # add() starts the window on the first hit; incr() keeps its expiry.
        if cache.add(key, 1, timeout=window):
            return 1
        try:
            return cache.incr(key)
        except ValueError:  # expired between the two calls
            cache.set(key, 1, timeout=window)
            return 1

    return counting(hit, purpose=purpose)


def peek(key: str, *, purpose: str = "Rate limit") -> int:
    return counting(lambda cache: cache.get(key) or 0, purpose=purpose)
