"""The calendar subscription: the user's page to make or revoke its URL, and the feed calendars poll."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from . import feeds
from .feed_ics import build_feed, feed_version, window

# The new token waits here between the POST that made it and the page that shows it, once.
FRESH_FEED_SESSION_KEY = "calendar_feed_token"


@login_required
@require_http_methods(["GET", "POST"])
def subscription(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            if feeds.revoke_feed(user=user, actor=user):
                messages.success(request, _("The subscription URL no longer works."))
        else:
            request.session[FRESH_FEED_SESSION_KEY] = feeds.create_feed(user=user, actor=user)
        return redirect("notifications:calendar-subscription")
    token = request.session.pop(FRESH_FEED_SESSION_KEY, None)
    context = {
        "feed": feeds.has_feed(user=user),
        "feed_url": feeds.feed_url(token) if token else None,
        "webcal_url": feeds.webcal_url(token) if token else None,
        "is_agent": user.roles.is_agent,
    }
    response = render(request, "notifications/calendar_subscription.html", context)
    # The URL is a secret shown once: no copy in a browser's or proxy's cache.
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    owner = feeds.feed_owner(token=token)
    if owner is None:
        raise Http404
    span = window(organisation=owner.organisation, today=timezone.localdate(timezone=owner.organisation.tzinfo))
    version = feed_version(user=owner.user, organisation=owner.organisation, span=span)
    # Whole seconds, as HTTP dates carry them: else If-Modified-Since never matches.
    last_modified = int(version.last_modified.timestamp())
    not_modified = get_conditional_response(request, etag=version.etag, last_modified=last_modified)
    if not_modified is not None:
        return not_modified
    response = HttpResponse(
        build_feed(user=owner.user, organisation=owner.organisation, span=span),
        content_type="text/calendar; charset=utf-8",
    )
    response["ETag"] = version.etag
    response["Last-Modified"] = http_date(last_modified)
    # Only the holder of the URL may read it; a shared cache must not keep a copy.
    response["Cache-Control"] = "private, no-cache"
    response["Content-Disposition"] = 'inline; filename="consults.ics"'
    return response
