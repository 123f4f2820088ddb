"""The address of the request being handled, and the door it came through (an API key), for audit events
written deep inside services."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

current_address: ContextVar[str | None] = ContextVar("audit_current_address", default=None)
# How the actor acted when not on the pages ("API key Practice system (vc_1a2b3c4d)"); added to the summary.
current_channel: ContextVar[str] = ContextVar("audit_current_channel", default="")


@contextmanager
def acting_through(channel: str) -> Iterator[None]:
    """Events recorded inside say that the actor acted through `channel` (an API key), not on the pages."""
    token = current_channel.set(channel)
    try:
        yield
    finally:
        current_channel.reset(token)


class AuditContextMiddleware:
    """Makes the client's address available to `audit.services.record` for the length of the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_address.set(request.META.get("REMOTE_ADDR"))
        try:
            return self.get_response(request)
        finally:
            current_address.reset(token)
