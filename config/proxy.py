"""The client's address behind the proxy, for the WSGI server.

uvicorn `--proxy-headers` puts the client's address into REMOTE_ADDR; gunicorn does not (its
`--forwarded-allow-ips` only decides whom to believe about https). Without this the join-link rate limit,
the login lockout and the audit log would see every client as the proxy, and one guesser would lock out
all clients. Same rule as uvicorn: believe X-Forwarded-For only from a trusted proxy, and take the
rightmost address in it that is not a trusted proxy (the one the proxy itself saw; those to its left are
whatever the client chose to send).
"""

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxies:
    def __init__(self, addresses: Iterable[str]) -> None:
        addresses = [a.strip() for a in addresses if a.strip()]
        self.everyone = "*" in addresses
        self.networks: list[Network] = [ipaddress.ip_network(a, strict=False) for a in addresses if a != "*"]

    def __contains__(self, address: str) -> bool:
        if self.everyone:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def client(self, remote_addr: str, forwarded_for: str) -> str:
        """The client's address, given the peer's address and the X-Forwarded-For header."""
        if remote_addr not in self:
            return remote_addr
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        if not hops:
            return remote_addr
        if self.everyone:
            return hops[0]
        for hop in reversed(hops):
            if hop not in self:
                return hop
        return hops[0]  # every hop is a proxy of ours: the first one is where the request began


class ForwardedFor:
    """WSGI middleware: REMOTE_ADDR becomes the client's address when a trusted proxy says it."""

    def __init__(self, application: Callable[..., Any], *, trusted: Iterable[str]) -> None:
        self.application = application
        self.trusted = TrustedProxies(trusted)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        forwarded_for = environ.get("HTTP_X_FORWARDED_FOR")
        if forwarded_for and "REMOTE_ADDR" in environ:
            environ["REMOTE_ADDR"] = self.trusted.client(environ["REMOTE_ADDR"], forwarded_for)
        return self.application(environ, start_response)
