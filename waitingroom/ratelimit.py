"""Slowing down guessing of join tokens: too many unknown tokens from one address get HTTP 429 for a while;
and too many changes sent from clients' own pages (cancel, ask for another time) likewise.

Counted with config.ratelimit: in Redis, shared by every web process; while Redis is unreachable, per
process (the limit still holds per process, and clients' links keep working).
"""

from django.conf import settings
from django.http import HttpRequest

from config.ratelimit import count, peek

PURPOSE = "Join-link rate limit"


def _key(request: HttpRequest) -> str:
    # Behind the proxy, uvicorn --proxy-headers (ASGI) and config.proxy (WSGI) make REMOTE_ADDR the client's.
    return f"join-misses:{request.META.get('REMOTE_ADDR', '')}"


def is_blocked(request: HttpRequest) -> bool:
    return peek(_key(request), purpose=PURPOSE) >= settings.JOIN_TOKEN_MISSES_ALLOWED


def record_miss(request: HttpRequest) -> None:
    count(_key(request), window=settings.JOIN_TOKEN_MISS_WINDOW_SECONDS, purpose=PURPOSE)


# A client sends a request or a cancellation once or twice; more from one address is someone trying tokens
# or flooding the team's inboxes with notices.
SELF_SERVICE_POSTS_ALLOWED = 10
SELF_SERVICE_WINDOW_SECONDS = 600


def self_service_post_allowed(request: HttpRequest) -> bool:
    """Count one change sent from a client's own page; False once the address has sent too many."""
    key = f"self-service-posts:{request.META.get('REMOTE_ADDR', '')}"
    return count(key, window=SELF_SERVICE_WINDOW_SECONDS, purpose=PURPOSE) <= SELF_SERVICE_POSTS_ALLOWED
