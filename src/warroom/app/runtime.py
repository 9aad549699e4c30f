"""The async side: runs app calls off the event loop and delivers their effects in order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from warroom.app import effects as fx
from warroom.app.service import App
from warroom.ports import Chat, ChatError, ChatMessage, Reaction
from warroom.render.doc import Doc

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, app: App, chats: Mapping[str, Chat]) -> None:
        self.app = app
        self.chats = dict(chats)
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._to_mark: list[int] = []
        self._mark_lock = asyncio.Lock()
        # One delivery at a time per channel keeps its messages in the order they were decided.
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    async def start(self) -> None:
        """Deliver what was committed but not delivered before the last stop."""
        pending = await asyncio.to_thread(self.app.pending_effects)
        if pending:
            log.info("delivering %d effects left over from the last run", len(pending))
            await self.deliver(pending)

    async def on_message(self, msg: ChatMessage) -> None:
        async with self._working():
            deliveries = await asyncio.to_thread(self.app.handle_message, msg)
            refused = await self.deliver(deliveries)
            if refused:
                await self._tell_sender(msg, refused)

    async def on_reaction(self, reaction: Reaction) -> None:
        async with self._working():
            deliveries = await asyncio.to_thread(self.app.handle_reaction, reaction)
            await self.deliver(deliveries)

    async def deliver(self, deliveries: list[fx.Delivery]) -> list[ChatError]:
        """Deliver in order per channel (and per DM, per file); channels in parallel, so a slow
        or rate-limited channel holds up no other. Consecutive posts to one place are merged
        into one message. Returns what the platforms refused (already logged)."""
        groups: dict[tuple[str, str], list[_Item]] = {}
        for item in _coalesce(deliveries):
            groups.setdefault(item.target, []).append(item)
        results = await asyncio.gather(*(self._deliver_group(k, g) for k, g in groups.items()))
        done = [i for ids, _ in results for i in ids]
        if done:
            await self._mark_delivered(done)
        return [err for _, errs in results for err in errs]

    async def _deliver_group(
        self, target: tuple[str, str], items: list[_Item]
    ) -> tuple[list[int], list[ChatError]]:
        lock = self._locks.get(target)
        if lock is None:
            lock = self._locks[target] = asyncio.Lock()
        done: list[int] = []
        refused: list[ChatError] = []
        async with lock:
            for item in items:
                try:
                    await self._apply(fx.Delivery(item.platform, item.effect))
                except ChatError as exc:
                    fix = f" Fix: {exc.fix}" if exc.fix else ""
                    log.error(
                        "%s refused %s in %s: %s%s", item.platform, _kind(item), target[1], exc, fix
                    )
                    refused.append(exc)
                    await self._failed(item, repr(exc))
                    continue
                except Exception as exc:
                    log.exception("could not deliver %s", item.effect)
                    await self._failed(item, repr(exc))
                    continue
                done.extend(item.ids)
        return done, refused

    async def _mark_delivered(self, ids: list[int]) -> None:
        """Group commit: whoever holds the lock marks every id waiting, so under load one
        transaction marks many deliveries. Returns once `ids` are marked."""
        self._to_mark.extend(ids)
        async with self._mark_lock:
            batch, self._to_mark = self._to_mark, []
            if batch:
                await asyncio.to_thread(self.app.mark_delivered, batch)

    async def _failed(self, item: _Item, error: str) -> None:
        for outbox_id in item.ids:
            await asyncio.to_thread(self.app.mark_failed, outbox_id, error)

    async def _tell_sender(self, msg: ChatMessage, refused: list[ChatError]) -> None:
        """Tell the sender what could not be done: where they typed, else in a DM."""
        chat = self.chats.get(msg.platform)
        if chat is None:
            return
        doc = Doc.of(*(f"⚠ {exc}" for exc in dict.fromkeys(str(e) for e in refused)))
        with contextlib.suppress(ChatError):
            if not msg.is_dm:
                await chat.post(channel=msg.channel, doc=doc, thread=msg.thread, only_to=msg.user)
                return
        try:
            await chat.direct(user=msg.user, doc=doc)
        except ChatError as exc:
            log.error("could not tell %s that an action failed: %s", msg.user, exc)

    async def _apply(self, delivery: fx.Delivery) -> None:
        effect = delivery.effect
        if isinstance(effect, fx.WriteFile):
            await asyncio.to_thread(_write_file, Path(effect.path), effect.content)
            return
        chat = self.chats.get(delivery.platform)
        if chat is None:
            raise LookupError(f"no chat adapter for platform {delivery.platform!r}")
        if isinstance(effect, fx.Post):
            await chat.post(
                channel=effect.channel, doc=effect.doc, thread=effect.thread, only_to=effect.only_to
            )
        elif isinstance(effect, fx.Direct):
            await chat.direct(user=effect.user, doc=effect.doc)
        else:
            await chat.set_topic(channel=effect.channel, topic=effect.topic)

    async def wait_idle(self) -> None:
        await self._idle.wait()

    @contextlib.asynccontextmanager
    async def _working(self) -> AsyncIterator[None]:
        self._busy += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._busy -= 1
            if self._busy == 0:
                self._idle.set()


def _write_file(path: Path, content: str) -> None:
    """Write atomically: a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(content, encoding="utf-8")
    tmp.replace(path)


@dataclass
class _Item:
    """One effect to apply, standing for one or more outbox rows (merged posts)."""

    platform: str
    effect: fx.Effect
    ids: list[int]

    @property
    def target(self) -> tuple[str, str]:
        effect = self.effect
        if isinstance(effect, fx.WriteFile):
            return ("files", effect.path)
        if isinstance(effect, fx.Direct):
            return (self.platform, "@" + effect.user)
        return (self.platform, "#" + effect.channel)


def _coalesce(deliveries: list[fx.Delivery]) -> list[_Item]:
    items: list[_Item] = []
    for d in deliveries:
        ids = [d.outbox_id] if d.outbox_id is not None else []
        last = items[-1] if items else None
        if (
            last is not None
            and isinstance(d.effect, fx.Post)
            and isinstance(last.effect, fx.Post)
            and last.platform == d.platform
            and (last.effect.channel, last.effect.thread, last.effect.only_to)
            == (d.effect.channel, d.effect.thread, d.effect.only_to)
        ):
            merged = fx.Post(
                d.effect.channel, last.effect.doc + d.effect.doc, d.effect.thread, d.effect.only_to
            )
            items[-1] = _Item(d.platform, merged, last.ids + ids)
            continue
        items.append(_Item(d.platform, d.effect, ids))
    return items


def _kind(item: _Item) -> str:
    return type(item.effect).__name__.lower()
