"""The async side: runs app calls off the event loop and delivers their effects in order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

from warroom.app import effects as fx
from warroom.app.service import App
from warroom.ports import Chat, ChatMessage, Reaction

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, app: App, chats: Mapping[str, Chat]) -> None:
        self.app = app
        self.chats = dict(chats)
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()
        # One delivery at a time keeps each channel's messages in the order they were decided.
        self._deliver_lock = asyncio.Lock()

    async def start(self) -> None:
        """Deliver what was committed but not delivered before the last stop."""
        pending = await asyncio.to_thread(self.app.pending_effects)
        if pending:
            log.info("delivering %d effects left over from the last run", len(pending))
            await self.deliver(pending)

    async def on_message(self, msg: ChatMessage) -> None:
        async with self._working():
            deliveries = await asyncio.to_thread(self.app.handle_message, msg)
            await self.deliver(deliveries)

    async def on_reaction(self, reaction: Reaction) -> None:
        async with self._working():
            deliveries = await asyncio.to_thread(self.app.handle_reaction, reaction)
            await self.deliver(deliveries)

    async def deliver(self, deliveries: list[fx.Delivery]) -> None:
        async with self._deliver_lock:
            done: list[int] = []
            for delivery in deliveries:
                try:
                    await self._apply(delivery)
                except Exception as exc:
                    log.exception("could not deliver %s", delivery.effect)
                    if delivery.outbox_id is not None:
                        await asyncio.to_thread(self.app.mark_failed, delivery.outbox_id, repr(exc))
                    continue
                if delivery.outbox_id is not None:
                    done.append(delivery.outbox_id)
            if done:
                await asyncio.to_thread(self.app.mark_delivered, done)

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
