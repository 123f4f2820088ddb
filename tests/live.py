"""Reading a server's event stream from a test: waiting until the server listens on Redis, and the next event."""

import time
from collections.abc import Iterator

import redis
import requests


def next_event(lines: Iterator[str]) -> str:
    """The stream's next event, skipping its other lines; the read timeout ends the wait."""
    try:
        for line in lines:
            if line.startswith("data: "):
                return line.removeprefix("data: ")
    except requests.ConnectionError:  # the read timed out
        pass
    raise AssertionError("no event on the agent's stream in time")


def wait_for_listener(redis_url: str, before: int) -> None:
    """uvicorn's hub subscribes to Redis as the first stream opens; an event published earlier is lost."""
    deadline = time.monotonic() + 5
    connection = redis.Redis.from_url(redis_url)
    while connection.pubsub_numpat() <= before and time.monotonic() < deadline:
        time.sleep(0.05)
    connection.close()
