"""The one way video providers reach the network: a requests session with a user agent and timeouts.

Tests point providers at a local fake server through their `api_url` option instead of patching this.
"""

from typing import Any

import requests

USER_AGENT = "videoconsult/1.0 (python-requests)"


class TimeoutSession(requests.Session):
    """A session whose every request has a timeout, so a stalled provider cannot hang a worker."""

    def __init__(self, *, timeout: float | tuple[float, float]) -> None:
        super().__init__()
        self.timeout = timeout
        self.headers["User-Agent"] = USER_AGENT

    # Narrower than Session.request: everything after the URL by keyword, so the timeout default cannot collide
    # with one passed by position.
    def request(  # type: ignore[override]
        self, method: str | bytes, url: str | bytes, **kwargs: Any
    ) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, **kwargs)


def new_session(*, timeout: float | tuple[float, float] = (5.0, 15.0)) -> TimeoutSession:
    return TimeoutSession(timeout=timeout)
