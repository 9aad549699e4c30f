"""Delivery: effects applied in order per target (one channel, one DM, one file; the effect
spec's ordering key), consecutive posts to one place merged into one message, and the
delivered rows marked done in batches off the reply path."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from warroom.app import effects as fx
from warroom.ports import ChatDelayed, ChatError, ChatGone

log = logging.getLogger(__name__)
MARK_DELAY = 0.02  # seconds between the batches that mark deliveries done


@dataclass
class Item:
    """One effect to apply, standing for one or more outbox rows (merged posts)."""

    platform: str
    effect: fx.Effect
    ids: list[int]

    @property
    def target(self) -> fx.Target:
        """Where order matters: one channel, one DM, one file."""
        return fx.target(self.platform, self.effect)


def coalesce(deliveries: list[fx.Delivery]) -> list[Item]:
    items: list[Item] = []
    for d in deliveries:
        ids = [d.outbox_id] if d.outbox_id is not None else []
        last = items[-1] if items else None
        if (
            last is not None
            and isinstance(d.effect, fx.Post)
            and isinstance(last.effect, fx.Post)
            and last.effect.ref_key is None  # a message whose ref the app waits for stays whole
            and d.effect.ref_key is None
            and last.effect.then is None
            and d.effect.then is None  # a confirmed post too
            and last.platform == d.platform
            and (last.effect.channel, last.effect.thread, last.effect.only_to)
            == (d.effect.channel, d.effect.thread, d.effect.only_to)
        ):
            merged = fx.Post(
                d.effect.channel, last.effect.doc + d.effect.doc, d.effect.thread, d.effect.only_to
            )
            items[-1] = Item(d.platform, merged, last.ids + ids)
            continue
        items.append(Item(d.platform, d.effect, ids))
    return items


Applier = Callable[[fx.Delivery], Awaitable[None]]
Failed = Callable[[int, str], None]
MarkNow = Callable[[list[int]], Awaitable[None]]


class Queues:
    """One delivery at a time per target keeps its messages in the order they were decided;
    targets in parallel, so a slow or rate-limited channel holds up no other."""

    def __init__(self, apply: Applier, failed: Failed, mark: MarkNow | None = None) -> None:
        self.apply = apply
        self.failed = failed
        # Marks what went out before the next message to the same place goes: a crash re-sends
        # at most the last message of each place, never a run of them.
        self.mark = mark
        self.gone: set[str] = set()  # platforms nobody reads any more (a closed terminal)
        self._locks: weakref.WeakValueDictionary[fx.Target, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    async def deliver(self, items: list[Item]) -> tuple[list[int], list[ChatError]]:
        groups: dict[fx.Target, list[Item]] = {}
        for item in items:
            groups.setdefault(item.target, []).append(item)
        results = await asyncio.gather(*(self._group(k, g) for k, g in groups.items()))
        return [i for ids, _ in results for i in ids], [e for _, errs in results for e in errs]

    async def _group(
        self, target: fx.Target, items: list[Item]
    ) -> tuple[list[int], list[ChatError]]:
        lock = self._locks.get(target)
        if lock is None:
            lock = self._locks[target] = asyncio.Lock()
        done: list[int] = []
        refused: list[ChatError] = []
        marked = 0
        async with lock:
            last: Item | None = None
            for item in items:
                if (
                    self.mark is not None
                    and len(done) > marked
                    and _is_message(item)
                    and last is not None
                    and _is_message(last)
                ):
                    await self.mark(done[marked:])
                    marked = len(done)
                last = item
                try:
                    await self.apply(fx.Delivery(item.platform, item.effect))
                except ChatGone:
                    if item.platform not in self.gone:
                        self.gone.add(item.platform)
                        log.warning("%s: nobody is reading; undelivered effects stay in the "
                                    "outbox for the next start", item.platform)  # fmt: skip
                    break
                except ChatError as exc:
                    fix = f" Fix: {exc.fix}" if exc.fix else ""
                    kind = fx.spec_of(item.effect).kind
                    log.error("%s refused %s in %s: %s%s", item.platform, kind, target[1], exc, fix)
                    if isinstance(exc, ChatDelayed) and not item.ids:
                        exc = ChatError(exc.unsent, fix=exc.fix)  # no outbox row: not "later"
                    refused.append(exc)
                    await self._failed(item, repr(exc))
                    continue
                except Exception as exc:
                    log.exception("could not deliver %s", item.effect)
                    await self._failed(item, repr(exc))
                    continue
                done.extend(item.ids)
        return done[marked:], refused

    async def _failed(self, item: Item, error: str) -> None:
        for outbox_id in item.ids:
            await asyncio.to_thread(self.failed, outbox_id, error)


def _is_message(item: Item) -> bool:
    return isinstance(item.effect, (fx.Post, fx.Direct))


class Marks:
    """Off the reply path: deliveries are marked in one transaction per MARK_DELAY, not one
    each (at 100 messages a second that was a transaction per message, competing with the
    commands' own for SQLite's one writer). A crash in between re-sends at most the last
    MARK_DELAY's messages (and at most the last message of each place: `Queues` marks before
    the next one goes out) on restart: delivery is at least once either way."""

    def __init__(self, mark: Callable[[list[int]], None]) -> None:
        self.mark = mark
        self.failing = 0  # flushes refused in a row (the database away)
        self.error = ""
        self._waiting: list[int] = []
        self._task: asyncio.Task[None] | None = None

    async def now(self, ids: list[int]) -> None:
        """Mark `ids` (and whatever waits with them) before going on; if the database refuses,
        they wait for the next batch."""
        self._waiting.extend(ids)
        await self.flush()

    def add(self, ids: list[int]) -> None:
        self._waiting.extend(ids)
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._later())

    async def _later(self) -> None:
        try:
            while self._waiting:
                await asyncio.sleep(MARK_DELAY)
                if not await self.flush():
                    await asyncio.sleep(1.0)  # the database is away: try again, not in a spin
        finally:
            self._task = None

    async def flush(self) -> bool:
        """Mark every delivery waiting; False (and they wait on) if the database refused."""
        batch, self._waiting = self._waiting, []
        if not batch:
            return True
        try:
            await asyncio.to_thread(self.mark, batch)
        except Exception as exc:
            self.failing += 1
            self.error = f"{type(exc).__name__}: {str(exc).strip()[:200]}"
            log.warning("could not mark %d deliveries done; retrying: %s", len(batch), self.error)
            self._waiting[:0] = batch
            return False
        self.failing = 0
        return True

    async def stop(self) -> None:
        task = self._task
        if task is None:  # ends within MARK_DELAY, unless the database is away
            return
        _, pending = await asyncio.wait({task}, timeout=2 * MARK_DELAY + 1)
        for unfinished in pending:  # left undelivered: sent again on the next start
            unfinished.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await unfinished
