"""The async side: runs app calls off the event loop, delivers their effects in order, runs
the timer worker, and performs status checks in the background."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

from warroom.app import effects as fx
from warroom.app.presence import PresenceCache
from warroom.app.service import App
from warroom.core.status import Snapshot
from warroom.ports import Chat, ChatMessage, Presence, Reaction, StatusSource

log = logging.getLogger(__name__)


class Runtime:
    def __init__(
        self,
        app: App,
        chats: Mapping[str, Chat],
        *,
        status: StatusSource | None = None,
        timers: bool = True,
        presence: Presence | None = None,
    ) -> None:
        from warroom.jobs.worker import TimerWorker

        self.app = app
        self.chats = dict(chats)
        self.status = status
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()
        # One delivery at a time keeps each channel's messages in the order they were decided.
        self._deliver_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self.worker = (
            TimerWorker(app, self.deliver, poll=app.settings.timers.poll) if timers else None
        )
        self._worker_task: asyncio.Task[None] | None = None
        rot = app.settings.rotation
        # No presence port: everyone counts as online (the lead wires Slack's at merge).
        self.presence = PresenceCache(
            presence, ttl=rot.presence_ttl, max_calls=rot.presence_calls, now=app.clock.now
        )

    async def start(self) -> None:
        """Deliver what was committed but not delivered before the last stop; start timers."""
        pending = await asyncio.to_thread(self.app.pending_effects)
        if pending:
            log.info("delivering %d effects left over from the last run", len(pending))
            await self.deliver(pending)
        if self.worker is not None and self._worker_task is None:
            self._worker_task = asyncio.create_task(self.worker.run(), name="timer-worker")

    async def stop(self) -> None:
        if self._worker_task is not None:
            self._worker_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker_task
            self._worker_task = None
        await self.wait_idle()

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
                if isinstance(delivery.effect, fx.CheckStatus):
                    # I/O with timeouts: never hold other deliveries behind it.
                    self._spawn(self._check_status(delivery, delivery.effect))
                    continue
                if isinstance(delivery.effect, fx.PickResponder):
                    self._spawn(self._pick(delivery, delivery.effect))
                    continue
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
        if self.worker is not None and deliveries:
            self.worker.nudge()  # a command may have scheduled a timer due sooner

    async def _check_status(self, delivery: fx.Delivery, effect: fx.CheckStatus) -> None:
        snapshot = await self.status.snapshot() if self.status else Snapshot(())
        follow = await asyncio.to_thread(
            self.app.status_checked, effect, delivery.platform, snapshot
        )
        await self.deliver(follow)
        if delivery.outbox_id is not None:
            await asyncio.to_thread(self.app.mark_delivered, [delivery.outbox_id])

    async def _pick(self, delivery: fx.Delivery, effect: fx.PickResponder) -> None:
        handles = await asyncio.to_thread(self.app.rotation_candidates, effect)
        found = await self.presence.resolve(handles)
        follow = await asyncio.to_thread(
            self.app.rotation_presence, effect, delivery.platform, found.statuses
        )
        await self.deliver(follow)
        if delivery.outbox_id is not None:
            await asyncio.to_thread(self.app.mark_delivered, [delivery.outbox_id])

    def _spawn(self, coro: object) -> None:
        assert asyncio.iscoroutine(coro)
        task: asyncio.Task[None] = asyncio.create_task(coro)
        self._tasks.add(task)
        self._idle.clear()

        def finished(t: asyncio.Task[None]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("background task failed", exc_info=t.exception())
            self._update_idle()

        task.add_done_callback(finished)

    async def _apply(self, delivery: fx.Delivery) -> None:
        effect = delivery.effect
        if isinstance(effect, fx.WriteFile):
            await asyncio.to_thread(_write_file, Path(effect.path), effect.content)
            return
        chat = self.chats.get(delivery.platform)
        if chat is None:
            raise LookupError(f"no chat adapter for platform {delivery.platform!r}")
        if isinstance(effect, fx.Post):
            ref = await chat.post(
                channel=effect.channel, doc=effect.doc, thread=effect.thread, only_to=effect.only_to
            )
            if effect.ref_key is not None and ref is not None:
                await asyncio.to_thread(
                    self.app.message_posted, delivery.platform, effect.ref_key, ref
                )
        elif isinstance(effect, fx.Direct):
            await chat.direct(user=effect.user, doc=effect.doc)
        elif isinstance(effect, fx.SetTopic):
            await chat.set_topic(channel=effect.channel, topic=effect.topic)

    async def wait_idle(self) -> None:
        """Until no message is being handled, no check is running, and no timer is due now
        or firing (timers due later do not count: the shell's `/sleep` waits for those)."""
        while True:
            await self._idle.wait()
            if self.worker is not None and self._worker_task is not None:
                due = await asyncio.to_thread(self.app.next_timer_due)
                if self.worker.busy or (due is not None and due <= self.app.clock.now()):
                    self.worker.nudge()
                    await asyncio.sleep(0.02)
                    continue
            if self._idle.is_set():
                return

    def _update_idle(self) -> None:
        if self._busy == 0 and not self._tasks:
            self._idle.set()
        else:
            self._idle.clear()

    @contextlib.asynccontextmanager
    async def _working(self) -> AsyncIterator[None]:
        self._busy += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._busy -= 1
            self._update_idle()


def _write_file(path: Path, content: str) -> None:
    """Write atomically: a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(content, encoding="utf-8")
    tmp.replace(path)
