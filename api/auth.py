"""Who calls the API: the bearer key, checked on every request, its rate limit, and the language and time
zone the answer is in."""

import time

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from config.ratelimit import count

from .keys import key_for
from .models import ApiKey

PURPOSE = "API rate limit"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class ApiKeyAuth(HttpBearer):
    """Authorization: Bearer vc_...; the request then acts as the key's user."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        api_key = key_for(key=token)
        if api_key is None:
            return None
        organisation = api_key.organisation
        timezone.activate(organisation.tzinfo)
        if "HTTP_ACCEPT_LANGUAGE" not in request.META:
            # Nobody asked for a language: the organisation's, rather than the site's default.
            translation.activate(organisation.default_language)
            request.LANGUAGE_CODE = organisation.default_language
        _limit(api_key)
        if request.method not in SAFE_METHODS and not api_key.can_write:
            # Before the body is read: a read-only key learns nothing by sending one.
            raise PermissionDenied(_("This API key may only read."))
        # The same rules as the pages: the services and selectors read request.user's roles.
        request.user = api_key.user
        return api_key


def _limit(api_key: ApiKey) -> None:
    # Fixed windows on the clock, so that the time until the next one is known for Retry-After.
    window = settings.API_RATE_LIMIT_WINDOW_SECONDS
    now = int(time.time())
    hits = count(f"api-rate:{api_key.pk}:{now // window}", window=window, purpose=PURPOSE)
    if hits > settings.API_RATE_LIMIT:
        raise RateLimited(retry_after=window - now % window)


def key_of(request: HttpRequest) -> ApiKey:
    """The key the request was authenticated with (every operation requires one)."""
    api_key = request.auth  # type: ignore[attr-defined]
    assert isinstance(api_key, ApiKey)
    return api_key
