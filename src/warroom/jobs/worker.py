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

from warroom.app.effects import Delivery
from warroom.app.service import App

log = logging.getLogger(__name__)

Deliver = Callable[[list[Delivery]], Awaitable[None]]


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class TimerWorker:
    def __init__(self, app: App, deliver: Deliver, *, poll: float = 0.5, batch: int = 200) -> None:
        self.app = app
        self.deliver = deliver
        self.poll = poll
        self.batch = batch
        self.id = worker_id()
        self._wake = asyncio.Event()
        self.busy = False
        self.fired = 0

    def nudge(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
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

    async def tick(self) -> bool:
        """Fire what is due now; True when a full batch was claimed (more may be waiting)."""
        claimed = await asyncio.to_thread(
            self.app.claim_due_timers, worker=self.id, limit=self.batch
        )
        if not claimed:
            return False
        self.busy = True
        try:
            for timer in claimed:
                try:
                    deliveries = await asyncio.to_thread(self.app.fire_timer, timer)
                except Exception:
                    # Left claimed: after the lease another try comes, here or elsewhere.
                    log.exception("timer %s failed", timer.key)
                    continue
                self.fired += 1
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
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=delay)


def _now(app: App) -> datetime:
    return app.clock.now()
