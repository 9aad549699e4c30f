"""The lock check a pipeline polls (`GET /api/v1/locks/{stack}`), answered from memory: every
lock held, read in one query, kept at most REFRESH seconds old by a background read while
checks come (it stops after IDLE seconds without one), and read again before answering after
any lock or unlock committed in this process. A lock taken or released on another replica is
seen within REFRESH; one taken here, at once. A check is a dict lookup on the event loop: no
thread hop, no database read."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from warroom.app import api
from warroom.app.service import App
from warroom.core.locks import Lock
from warroom.store import locks as lock_store

REFRESH = 0.5  # seconds: how stale a lock taken on another replica may be
IDLE = 60.0  # seconds without a check after which the background read stops

log = logging.getLogger(__name__)


class LockView:
    def __init__(self, app: App, *, refresh: float = REFRESH) -> None:
        self.app = app
        self.refresh = refresh
        self._held: dict[str, Lock] = {}
        self._generation = -1
        self._read_at = float("-inf")
        self._reading: asyncio.Future[None] | None = None
        self._refresher: asyncio.Task[None] | None = None
        self._used = float("-inf")

    async def get(self, stack: str) -> Lock | None:
        """The lock on `stack`, from a read that began after the last lock commit in this
        process before the request arrived, and less than `refresh` seconds before it."""
        wanted, arrived = lock_store.generation(), time.monotonic()
        self._used = arrived
        if self._refresher is None or self._refresher.done():
            self._refresher = asyncio.create_task(self._keep_fresh(), name="lock-view")
        while self._generation < wanted or self._read_at <= arrived - self.refresh:
            await asyncio.shield(self._read_once())  # a failed read fails the request
        return self._held.get(stack)

    def _read_once(self) -> asyncio.Future[None]:
        """The read in progress, or a new one: one at a time."""
        if self._reading is None or self._reading.done():
            self._reading = asyncio.ensure_future(self._read())
            self._reading.add_done_callback(_retrieve)
        return self._reading

    async def _read(self) -> None:
        generation, started = lock_store.generation(), time.monotonic()
        held = await asyncio.to_thread(api.all_locks, self.app)
        self._held = {lock.stack: lock for lock in held}
        self._generation, self._read_at = generation, started

    async def _keep_fresh(self) -> None:
        while time.monotonic() - self._used < IDLE:
            await asyncio.sleep(self.refresh / 2)
            try:
                await asyncio.shield(self._read_once())
            except Exception as exc:  # the database away: the next check reads (and says) it
                log.warning("could not read the deploy locks: %s", exc)

    async def close(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
            self._refresher = None


def _retrieve(done: asyncio.Future[None]) -> None:
    """A read whose waiters all went away must not warn that its error was never seen."""
    if not done.cancelled():
        done.exception()
