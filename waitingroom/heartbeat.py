"""The presence of the clients whose waiting page holds its event stream open in this process, kept up for
all of them at once.

A client is waiting while their page's stream is open. Refreshing that per stream cost a read and an update
every ten seconds for every open page: 2,000 statements a second at 10,000 waiting clients, each one a turn
of SQLite's single write lock and a hop to a database thread. Instead each process keeps the list of its open
client pages and refreshes them together, a few statements every ten seconds (services.refresh_waiting).
"""

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable, Sequence

from django.db import DatabaseError

from .services import OpenPage

logger = logging.getLogger(__name__)


class Heartbeat:
    """The open client pages of this process, refreshed every `every` seconds by `refresh`."""

    def __init__(self, *, refresh: Callable[[Sequence[OpenPage]], Awaitable[None]], every: float) -> None:
        self._refresh = refresh
        self.every = every
        self._open: dict[int, OpenPage] = {}
        self._keys = itertools.count()
        self._task: asyncio.Task | None = None

    def add(self, page: OpenPage) -> int:
        """A page's stream opened; call from the event loop that serves it. Returns the key to discard."""
        key = next(self._keys)
        self._open[key] = page
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._beat())
        return key

    def discard(self, key: int) -> None:
        self._open.pop(key, None)

    @property
    def open_count(self) -> int:
        return len(self._open)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            pages = list(self._open.values())
            if not pages:
                continue
            try:
                await self._refresh(pages)
            except DatabaseError as error:
                # The next beat tries again; until then the clients count as waiting for the timeout's length.
                logger.warning("Waiting room: could not refresh the presence of %d open pages: %s", len(pages), error)

    async def stop(self) -> None:
        """Stop beating (tests; a web process simply ends)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
