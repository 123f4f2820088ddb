"""Which addresses our server may send requests to on an organisation's behalf.

An organisation admin may point an outbound API (Whereby's today, outbound webhooks later) at another
address, but only at one the platform operator lists in OUTBOUND_API_URLS. Otherwise the server would send
the organisation's key wherever it is told to: a cloud metadata service, a host on the internal network.

An address is allowed when its scheme, host and port equal those of a listed prefix and its path is the
prefix's path or lies below it: https://api.whereby.dev/v1 allows https://api.whereby.dev/v1/meetings, not
https://api.whereby.dev/v1evil, https://api.whereby.dev.evil.com/v1 or https://api.whereby.dev@evil.com/v1.
"""

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext_lazy as _

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Address:
    scheme: str
    host: str
    port: int
    segments: tuple[str, ...]

    def is_within(self, prefix: "Address") -> bool:
        return (self.scheme, self.host, self.port) == (prefix.scheme, prefix.host, prefix.port) and self.segments[
            : len(prefix.segments)
        ] == prefix.segments


def parse_address(url: str) -> Address | None:
    """The parts of an http(s) address that decide where a request goes; None for anything ambiguous.

    Refused outright, rather than interpreted: a user name (the classic `trusted@evil` trick), a query or
    fragment (nothing an API base address needs), backslashes and whitespace (parsers disagree on them), and
    dot segments, encoded or not, that would climb out of the allowed path.
    """
    if any(char.isspace() or char == "\\" or not char.isprintable() for char in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    if "@" in parts.netloc or parts.query or parts.fragment:
        return None
    segments = tuple(segment for segment in parts.path.split("/") if segment)
    for segment in segments:
        decoded = unquote(segment)
        if decoded in (".", "..") or "/" in decoded or "\\" in decoded:
            return None
    return Address(parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme], segments)


def allowed_prefixes() -> list[Address]:
    """OUTBOUND_API_URLS, parsed. The operator's own list may hold http addresses (a test server)."""
    prefixes = []
    for entry in settings.OUTBOUND_API_URLS:
        address = parse_address(entry)
        if address is None:
            raise ImproperlyConfigured(
                f"OUTBOUND_API_URLS: {entry!r} is not an http(s) address without user name, query or fragment"
            )
        prefixes.append(address)
    return prefixes


def is_allowed_outbound_url(url: str) -> bool:
    """Whether a request may go to `url`: checked again at call time, for rows saved before the rule."""
    address = parse_address(url)
    return address is not None and any(address.is_within(prefix) for prefix in allowed_prefixes())


def check_outbound_url(url: str) -> None:
    """For an address an admin typed: it must be https and on the operator's list."""
    address = parse_address(url)
    if address is None or address.scheme != "https":
        raise ValidationError(
            _("An API address must start with https:// and have no user name, query or fragment."),
            code="outbound_url_form",
        )
    if not is_allowed_outbound_url(url):
        raise ValidationError(
            _(
                "This address is not on the platform's list of allowed API addresses. Leave the field empty "
                "for the service's standard address, or ask the platform operator to allow this one."
            ),
            code="outbound_url_not_allowed",
        )
