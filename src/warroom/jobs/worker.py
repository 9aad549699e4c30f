"""The timer worker: claims due timers from the database and fires them through the app.

Several processes may run it on one PostgreSQL database: claims are disjoint (SKIP LOCKED),
each process beats every `BEAT` seconds (store/workers.py) and renews its leases; a process
silent for `DEAD_AFTER` seconds is dead and its claimed timers and undelivered outbox rows are
taken over; firing is fenced by the claim token (store/timers.py).
It sleeps until the next due time or `poll` seconds, whichever is sooner, and wakes at once
when this process schedules something (`nudge`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy.exc import InterfaceError, OperationalError

from warroom.app import timer_work
from warroom.app.effects import Delivery
from warroom.ports import Clock
from warroom.store import workers
from warroom.store.timers import Claimed

log = logging.getLogger(__name__)

Deliver = Callable[[list[Delivery]], Awaitable[object]]
Report = Callable[[str, BaseException | None], None]  # a task's round failed (or went well)


class TimerApp(Protocol):
    """What the worker needs of the app (app/service.py's `App` is one)."""

    @property
    def clock(self) -> Clock: ...

    def pending_effects(
        self, *, older_than: float = ..., limit: int = ..., dead_after: float | None = ...
    ) -> list[Delivery]: ...

    def claim_due_timers(
        self, *, worker: str, limit: int = ..., dead_after: float | None = ...
    ) -> list[Claimed]: ...

    def fire_timers(self, claimed: list[Claimed]) -> list[Delivery]: ...

    def next_timer_due(self) -> datetime | None: ...

    def worker_beat(
        self, worker: str, holding: Sequence[int] = ..., release: Sequence[int] = ...
    ) -> None: ...

    def worker_stopped(self, worker: str) -> None: ...


async def _undelivered(deliveries: list[Delivery]) -> None:
    raise RuntimeError("the timer worker has no delivery yet: pass `deliver` or attach it")


def _log_only(name: str, exc: BaseException | None) -> None:
    if exc is not None:
        log.warning("%s failed: %s", name, exc)


SWEEP_EVERY = 1.0  # seconds between looks for undelivered effects
STALE_AFTER = 30.0  # an effect of a process with no heartbeat, undelivered this long, is taken
BEAT = 0.5  # seconds between heartbeats (workers row, leases renewed)
DEAD_AFTER = timer_work.DEAD_AFTER  # a process silent this long is dead: its work is taken over
BACKOFF_CAP = 1.0  # the longest wait between tries while the database is away


def worker_id() -> str:
    return workers.PROCESS


class TimerWorker:
    def __init__(
        self,
        app: TimerApp,
        deliver: Deliver | None = None,
        *,
        poll: float = 0.5,
        batch: int = 25,
        chunk: int | None = None,
        beat: float = BEAT,
        dead_after: float = DEAD_AFTER,
    ) -> None:
        self.app = app
        self.deliver: Deliver = deliver or _undelivered
        self.poll = poll
        # Claimed is what is fired next, in one transaction: a process killed mid-batch strands
        # no more than this, and only until its missed heartbeats give it away.
        self.batch = chunk or batch
        self.beat = beat
        self.dead_after = dead_after
        self.id = worker_id()
        self._wake = asyncio.Event()
        self.busy = False
        self.fired = 0
        self.failures = 0  # rounds failed in a row
        self.report: Report = _log_only
        self.holding: list[int] = []  # the timers being fired now: their leases are renewed
        self.to_release: list[int] = []  # claimed, not fired (the database went away)

    def attach(self, deliver: Deliver) -> None:
        """Deliver through `deliver` (the runtime's), given when the runtime is built."""
        self.deliver = deliver

    def nudge(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Fire timers and sweep the outbox, and beat, until cancelled; a failing round (the
        database away) is reported, waited out (0.1 s doubling to 1 s) and tried again."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self.heartbeat())
            group.create_task(self.loop())

    async def loop(self) -> None:
        while True:
            try:
                more = await self.tick()
                if not more:
                    await self._sleep()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                await self._failed("timer worker", exc)
                continue
            self._ok("timer worker")

    async def heartbeat(self) -> None:
        """Every `beat` seconds: this process is alive, and its claimed timers stay its own;
        every SWEEP_EVERY seconds, the outbox rows of dead processes are delivered."""
        last_sweep = -SWEEP_EVERY
        clock = asyncio.get_running_loop()
        while True:
            release = list(self.to_release)
            try:
                await asyncio.to_thread(self.app.worker_beat, self.id, list(self.holding), release)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.report("heartbeat", exc)
            else:
                self.report("heartbeat", None)
                del self.to_release[: len(release)]
            if clock.time() - last_sweep >= SWEEP_EVERY:
                try:
                    await self.sweep()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    self.report("outbox sweep", exc)
                else:
                    self.report("outbox sweep", None)
                    last_sweep = clock.time()
            await asyncio.sleep(self.beat)

    async def _failed(self, name: str, exc: BaseException) -> None:
        self.failures += 1
        self.report(name, exc)
        await asyncio.sleep(min(BACKOFF_CAP, 0.1 * 2 ** (self.failures - 1)))

    def _ok(self, name: str) -> None:
        if self.failures:
            self.failures = 0
            self.report(name, None)

    async def close(self) -> None:
        """After `run` was cancelled: give back what this process claimed and did not fire."""
        try:
            await asyncio.to_thread(self.app.worker_stopped, self.id)
        except Exception as exc:  # the database is away: the heartbeat's silence gives it back
            log.warning("could not release this worker's timers: %s", exc)

    async def sweep(self) -> None:
        """Deliver outbox rows that their creator left behind (it died mid-delivery)."""
        leftovers = await asyncio.to_thread(
            self.app.pending_effects, older_than=STALE_AFTER, dead_after=self.dead_after
        )
        if leftovers:
            log.warning("delivering %d effects another process left undelivered", len(leftovers))
            await self.deliver(leftovers)

    async def tick(self) -> bool:
        """Fire what is due now; True when a full batch was claimed (more may be waiting)."""
        claimed = await asyncio.to_thread(
            self.app.claim_due_timers, worker=self.id, limit=self.batch, dead_after=self.dead_after
        )
        if not claimed:
            return False
        self.busy = True
        self.holding = [c.id for c in claimed]
        try:
            try:
                deliveries = await asyncio.to_thread(self.app.fire_timers, claimed)
            except (OperationalError, InterfaceError):
                # The database went away: the next heartbeat that gets through frees them.
                self.to_release.extend(self.holding)
                raise
            except Exception:
                # Left claimed: after the lease another try comes, here or elsewhere.
                log.exception("firing %d timers failed", len(claimed))
                return False
            finally:
                self.holding = []
            self.fired += len(claimed)
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
