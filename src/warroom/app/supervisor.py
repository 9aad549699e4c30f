"""Long-lived tasks (the timer worker, the on-call refresh) run under a supervisor: a task that
raises is logged, waits (0.1 s, doubling, at most `cap`) and is started again; a task that
catches its own failures reports them (`report`). `health()` names every task failing now,
for `/readyz` and the shell: a task is failing once it has failed `failing_after` times in a
row without a success in between."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

Run = Callable[[], Coroutine[Any, Any, None]]


@dataclass
class State:
    failures: int = 0  # in a row
    error: str = ""
    since: float = 0.0  # loop time of the first failure in a row


def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__


class Supervisor:
    def __init__(self, *, base: float = 0.1, cap: float = 1.0, failing_after: int = 3) -> None:
        self.base = base
        self.cap = cap
        self.failing_after = failing_after
        self.states: dict[str, State] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def start(self, name: str, run: Run) -> None:
        """Run `run()` as task `name`, restarting it whenever it raises, until `stop`."""
        if name in self._tasks and not self._tasks[name].done():
            return
        self.states.setdefault(name, State())
        self._tasks[name] = asyncio.get_running_loop().create_task(self._keep(name, run), name=name)

    def running(self, name: str) -> bool:
        task = self._tasks.get(name)
        return task is not None and not task.done()

    async def _keep(self, name: str, run: Run) -> None:
        while True:
            try:
                await run()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.report(name, exc)
                await asyncio.sleep(self.backoff(name))
                continue
            log.info("task %s ended", name)
            return

    def backoff(self, name: str) -> float:
        """Seconds to wait before the next try of `name`: 0.1 s, doubling, at most `cap`."""
        failures = self.states.get(name, State()).failures
        return float(min(self.cap, self.base * 2 ** max(0, failures - 1)))

    def report(self, name: str, exc: BaseException | None) -> None:
        """A round of task `name` failed with `exc`, or (None) succeeded."""
        state = self.states.setdefault(name, State())
        if exc is None:
            if state.failures >= self.failing_after:
                log.warning("task %s works again after %d failures", name, state.failures)
            state.failures, state.error = 0, ""
            return
        if state.failures == 0:
            state.since = _loop_time()
        state.failures += 1
        state.error = describe(exc)
        if state.failures == 1:
            log.warning("task %s failed (%s); retrying", name, state.error)
        elif state.failures == self.failing_after:
            log.error("task %s keeps failing (%d times): %s", name, state.failures, state.error)
        else:
            log.debug("task %s failed again: %s", name, state.error)

    def health(self) -> dict[str, str]:
        """Each task's state: "ok", or why it is failing."""
        out = {}
        for name, state in self.states.items():
            if state.failures >= self.failing_after:
                took = _loop_time() - state.since
                out[name] = f"failing for {took:.0f} s ({state.failures} tries): {state.error}"
            else:
                out[name] = "ok"
        return out

    async def stop(self) -> None:
        tasks, self._tasks = list(self._tasks.values()), {}
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _loop_time() -> float:
    try:
        return asyncio.get_running_loop().time()
    except RuntimeError:  # from a thread: the clock the loop uses
        import time

        return time.monotonic()
