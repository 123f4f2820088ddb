"""A request id on every log line of a request and in its response: the proxy's (nginx sends `$request_id` as
X-Request-ID), or one made here when there is none, so a line in the app's log can be found in the proxy's."""

import re
import uuid
from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponseBase

from config.logging import REQUEST_ID

HEADER = "X-Request-ID"
# What a proxy sends (nginx: 32 hex digits; others a UUID): anything else, which may be a client's own text
# with spaces or markup for the log, is replaced.
_WELL_FORMED = re.compile(r"[A-Za-z0-9_-]{8,64}")


def request_id_of(request: HttpRequest) -> str:
    offered = request.headers.get(HEADER, "")
    return offered if _WELL_FORMED.fullmatch(offered) else uuid.uuid4().hex


class RequestIdMiddleware:
    """First in MIDDLEWARE, so that everything after it logs with the id. Async under ASGI: the event streams
    are async views, which a sync middleware would push through a thread."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        request.request_id = request_id = request_id_of(request)  # type: ignore[attr-defined]
        reset = REQUEST_ID.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            # One thread serves request after request under WSGI: the id must not outlive this one. Under ASGI
            # this chain runs in a copy of the request's own task context, which asgiref carries back to that
            # task and which ends with it: left set, uvicorn's access line of this request carries the id.
            if not isinstance(request, ASGIRequest):
                REQUEST_ID.reset(reset)
        response[HEADER] = request_id
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        request.request_id = request_id = request_id_of(request)  # type: ignore[attr-defined]
        # Each ASGI request runs in a task of its own, whose context ends with it: the id stays set until the
        # response is sent. (Django calls this only when the whole chain after it is async.)
        REQUEST_ID.set(request_id)
        response = await self.get_response(request)
        response[HEADER] = request_id
        return response
