"""Errors leave the site for people and services outside it: to Sentry when SENTRY_DSN is set, otherwise by mail
to ADMINS. Neither receives a client's personal data or a key: join tokens and other secrets (config.logging's
`redact`), email addresses, phone numbers and IP addresses are replaced in whatever text goes out, and the
places where names and message texts live are not sent at all: request bodies, cookies, local variables, SQL
queries with their parameters, the text of log lines. What remains (the exception, its stack, the URL pattern,
the request id) is enough to find the full story in the site's own log."""

import logging
import re
from collections.abc import ItemsView
from email.utils import getaddresses
from typing import Any, cast

from django.http import HttpRequest
from django.utils.log import AdminEmailHandler
from django.utils.safestring import SafeString
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter
from sentry_sdk.types import Breadcrumb, BreadcrumbHint, Event, Hint

from config.logging import NO_REQUEST, REQUEST_ID, redact

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# International (+31 6 12345678, 0031...) and national (0612345678, 06-12345678) numbers; not dates, versions or
# hexadecimal ids, which never start with + or 0 followed by eight digits and nothing else.
_PHONE = re.compile(r"(?<![\w+])(?:\+|00|0)[1-9](?:[\s-]?\d){7,13}(?!\w)")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")

# Request headers that identify a person or a session.
_PRIVATE_HEADERS = {"cookie", "authorization", "x-csrftoken", "x-forwarded-for", "x-real-ip", "forwarded"}
# Breadcrumbs whose content is clients' data: SQL with its parameters, Redis keys with addresses and tokens.
_DROPPED_BREADCRUMBS = {"query", "redis"}


def scrub(text: str) -> str:
    """The text without secrets, email addresses, phone numbers or IP addresses."""
    text = _EMAIL.sub("[email]", redact(text))
    return _IPV4.sub("[address]", _PHONE.sub("[phone]", text))


def _scrub_all(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {key: _scrub_all(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_all(item) for item in value]
    return value


def scrub_breadcrumb(crumb: Breadcrumb, hint: BreadcrumbHint | None = None) -> Breadcrumb | None:
    """Sentry's before_breadcrumb."""
    if crumb.get("category") in _DROPPED_BREADCRUMBS:
        return None
    if crumb.get("type") == "log":
        # That a logger said something at a level is kept; what it said (names, message texts) stays in the
        # site's log, found there by the event's request_id.
        return _scrub_all({key: value for key, value in crumb.items() if key not in {"message", "data"}})
    return _scrub_all(crumb)


def scrub_event(event: Event, hint: Hint | None = None) -> Event:
    """Sentry's before_send (and before_send_transaction)."""
    return _scrub_event(cast(dict[str, Any], event))


def _scrub_event(event: dict[str, Any]) -> Any:
    request = event.get("request")
    if isinstance(request, dict):
        # Bodies, cookies, the client's address, and query strings (a search may be a client's name).
        for key in ("cookies", "data", "env", "query_string"):
            request.pop(key, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {k: v for k, v in headers.items() if k.lower() not in _PRIVATE_HEADERS}
    if isinstance(event.get("user"), dict):
        # Which account, never who: an id is enough to look the person up in the admin.
        event["user"] = {key: value for key, value in event["user"].items() if key == "id"}
    # Breadcrumbs were scrubbed as they were left (scrub_breadcrumb).
    if (request_id := REQUEST_ID.get()) != NO_REQUEST:
        event.setdefault("tags", {})["request_id"] = request_id
    # The installed packages' versions are no one's data, and four-part ones look like IP addresses.
    modules = event.pop("modules", None)
    scrubbed = _scrub_all(event)
    if modules is not None:
        scrubbed["modules"] = modules
    return scrubbed


def init_sentry(*, dsn: str, environment: str, release: str | None, traces_sample_rate: float) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=traces_sample_rate,
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
    )


def admins(value: str) -> list[tuple[str, str]]:
    """ADMINS="Ops <ops@example.nl>, Jan <jan@example.nl>" as Django wants it: (name, address) pairs."""
    return [(name, address) for name, address in getaddresses([value]) if address]


class ScrubbingExceptionReporterFilter(SafeExceptionReporterFilter):
    """What Django's error report shows of a request, without the client's data in it."""

    def get_post_parameters(self, request: HttpRequest | None) -> dict[str, str]:
        # Booking forms and the waiting room's messages are names, addresses and texts: keys only.
        return {key: self.cleansed_substitute for key in request.POST} if request is not None else {}

    def get_safe_cookies(self, request: HttpRequest | None) -> dict[str, str]:
        # No request: an error logged outside one (a Celery task).
        return {key: self.cleansed_substitute for key in getattr(request, "COOKIES", {})}

    def get_safe_request_meta(self, request: HttpRequest) -> dict[str, Any]:
        meta = super().get_safe_request_meta(request)
        # A query string (here and in the whole URIs) may be a search for a client's name.
        for key in ("QUERY_STRING", "RAW_URI", "REQUEST_URI", "HTTP_REFERER"):
            if meta.get(key):
                meta[key] = self.cleansed_substitute
        return meta

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: Any) -> ItemsView[str, Any]:
        # A frame's variables are participants, forms and messages.
        return {}.items()


class ScrubbingExceptionReporter(ExceptionReporter):
    """Django's error report for the mail to ADMINS, with the filter above and what is left of personal data in
    its text (the URL's token, the user's address, an address in the exception's message) replaced. The debug
    page (DEBUG, a developer's own machine) keeps Django's reporter."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filter = ScrubbingExceptionReporterFilter()

    def get_traceback_data(self) -> dict[str, Any]:
        data = super().get_traceback_data()
        if self.request is not None:
            # A search's query string may be a client's name: its keys only, and not in the URL.
            cleansed = self.filter.cleansed_substitute
            data["request_GET_items"] = {key: cleansed for key in self.request.GET}.items()
            data["request_insecure_uri"] = data["request_insecure_uri"].split("?", 1)[0]
        return data

    # What is replaced is plain text, by text without markup: the rendered report stays as safe as it was.
    def get_traceback_text(self) -> SafeString:
        return SafeString(scrub(super().get_traceback_text()))

    def get_traceback_html(self) -> SafeString:
        return SafeString(scrub(super().get_traceback_html()))


class ScrubbingAdminEmailHandler(AdminEmailHandler):
    """Mails errors to ADMINS (when Sentry is not configured), the subject and the report scrubbed."""

    def __init__(self, include_html: bool = False, email_backend: str | None = None) -> None:
        super().__init__(include_html, email_backend, reporter_class="config.errors.ScrubbingExceptionReporter")

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))

    def format_subject(self, subject: str) -> str:
        return super().format_subject(scrub(subject))
