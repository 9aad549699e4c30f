"""The timer worker: claims due timers from the database and fires them through the app.

Several processes may run it on one PostgreSQL database: claims are disjoint (SKIP LOCKED),
leases expire when a process dies, and firing is fenced by the claim token (store/timers.py).
It sleeps until the next due time or `poll` seconds, whichever is sooner, and wakes at once
when this process schedules something (`nudge`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from warroom.app.effects import Delivery
from warroom.ports import Clock
from warroom.store.timers import Claimed

log = logging.getLogger(__name__)

Deliver = Callable[[list[Delivery]], Awaitable[object]]


class TimerApp(Protocol):
    """What the worker needs of the app (app/service.py's `App` is one)."""

    @property
    def clock(self) -> Clock: ...

    def pending_effects(self, *, older_than: float = ..., limit: int = ...) -> list[Delivery]: ...

    def claim_due_timers(self, *, worker: str, limit: int = ...) -> list[Claimed]: ...

    def fire_timers(self, claimed: list[Claimed]) -> list[Delivery]: ...

    def next_timer_due(self) -> datetime | None: ...


async def _undelivered(deliveries: list[Delivery]) -> None:
    raise RuntimeError("the timer worker has no delivery yet: pass `deliver` or attach it")


SWEEP_EVERY = 15.0  # seconds between looks for undelivered effects
STALE_AFTER = 30.0  # an effect its creator has not delivered in this long is taken over


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class TimerWorker:
    def __init__(
        self,
        app: TimerApp,
        deliver: Deliver | None = None,
        *,
        poll: float = 0.5,
        batch: int = 200,
        chunk: int = 50,
    ) -> None:
        self.app = app
        self.deliver: Deliver = deliver or _undelivered
        self.poll = poll
        self.batch = batch
        self.chunk = chunk  # timers per transaction
        self.id = worker_id()
        self._wake = asyncio.Event()
        self.busy = False
        self.fired = 0

    def attach(self, deliver: Deliver) -> None:
        """Deliver through `deliver` (the runtime's), given when the runtime is built."""
        self.deliver = deliver

    def nudge(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        last_sweep = 0.0
        loop = asyncio.get_running_loop()
        while True:
            if loop.time() - last_sweep >= SWEEP_EVERY:
                last_sweep = loop.time()
                await self.sweep()
            try:
                more = await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("timer worker tick failed; retrying")
                more = False
            if more:
                continue
            await self._sleep()

    async def sweep(self) -> None:
        """Deliver outbox rows that their creator left behind (it died mid-delivery)."""
        try:
            leftovers = await asyncio.to_thread(self.app.pending_effects, older_than=STALE_AFTER)
            if leftovers:
                log.warning(
                    "delivering %d effects another process left undelivered", len(leftovers)
                )
                await self.deliver(leftovers)
        except Exception:
            log.exception("outbox sweep failed")

    async def tick(self) -> bool:
        """Fire what is due now; True when a full batch was claimed (more may be waiting)."""
        claimed = await asyncio.to_thread(
            self.app.claim_due_timers, worker=self.id, limit=self.batch
        )
        if not claimed:
            return False
        self.busy = True
        try:
            for start in range(0, len(claimed), self.chunk):
                chunk = claimed[start : start + self.chunk]
                try:
                    deliveries = await asyncio.to_thread(self.app.fire_timers, chunk)
                except Exception:
                    # Left claimed: after the lease another try comes, here or elsewhere.
                    log.exception("firing %d timers failed", len(chunk))
                    continue
                self.fired += len(chunk)
                await self.deliver(deliveries)
        finally:
            self.busy = False
        return len(claimed) == self.batch

    async def _sleep(self) -> None:
        self._wake.clear()  # before looking: a nudge from now on cuts the sleep short
        due = await asyncio.to_thread(self.app.next_timer_due)
        delay = self.poll
        if due is not None:
            delay = min(delay, max(0.0, (due - _now(self.app)).total_seconds()))
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that races
        # with its timeout, and then stopping waits on this task for ever.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self._wake.wait()


def _now(app: TimerApp) -> datetime:
    return app.clock.now()
