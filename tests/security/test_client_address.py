"""The client's address under gunicorn behind the proxy (config.proxy): taken from X-Forwarded-For only when a
trusted proxy sends it, and never the part of that header the client wrote itself."""

import pytest

from config.proxy import ForwardedFor


def remote_addr(peer: str, forwarded_for: str | None, *, trusted: list[str]) -> str:
    seen = {}

    def app(environ, start_response):
        seen["address"] = environ["REMOTE_ADDR"]
        return []

    environ = {"REMOTE_ADDR": peer} | ({"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {})
    ForwardedFor(app, trusted=trusted)(environ, lambda *args: None)
    return seen["address"]


LOOPBACK = ["127.0.0.1", "::1"]


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "trusted", "client"),
    [
        # nginx on the same machine appends the address it saw.
        ("127.0.0.1", "203.0.113.9", LOOPBACK, "203.0.113.9"),
        ("::1", "2001:db8::7", LOOPBACK, "2001:db8::7"),
        # A client that sends its own X-Forwarded-For does not choose its address: nginx's hop is the last.
        ("127.0.0.1", "10.0.0.1, 203.0.113.9", LOOPBACK, "203.0.113.9"),
        # Proxies of ours in a chain are skipped, by address or by network.
        ("10.1.2.3", "203.0.113.9, 10.1.2.4", ["10.1.0.0/16"], "203.0.113.9"),
        # Anyone else may not say who the client is.
        ("198.51.100.4", "203.0.113.9", LOOPBACK, "198.51.100.4"),
        ("127.0.0.1", None, LOOPBACK, "127.0.0.1"),
        ("127.0.0.1", "203.0.113.9", [], "127.0.0.1"),
        # "*" trusts every peer and takes the first address, as gunicorn and uvicorn do.
        ("198.51.100.4", "203.0.113.9, 10.0.0.1", ["*"], "203.0.113.9"),
    ],
)
def test_the_client_address_comes_from_a_trusted_proxy_only(peer, forwarded_for, trusted, client):
    assert remote_addr(peer, forwarded_for, trusted=trusted) == client
