"""The async side: runs app calls off the event loop, delivers their effects (delivery.py: in
order per target, merged, marked in batches), runs the timer worker it is given, and calls
providers (calls.py: status, pagers, tracker, with retries) in background tasks. Each effect's
spec (effects.py) says whether it is background work and how it is applied; the runtime is the
`effects.Apply` port those specs call."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any, Protocol

from warroom import logs
from warroom.app import effects as fx
from warroom.app.calls import Calls
from warroom.app.delivery import Marks, Queues, coalesce
from warroom.app.presence import PresenceCache
from warroom.app.service import App
from warroom.app.supervisor import Supervisor
from warroom.core.doc import Doc
from warroom.core.status import Snapshot
from warroom.ports import (
    Chat,
    ChatError,
    ChatMessage,
    Pager,
    Presence,
    Reaction,
    StatusSource,
    Tracker,
)

log = logging.getLogger(__name__)
SEEN_KEPT = 10_000  # event IDs remembered: a message as `message` and `app_mention`, redeliveries
Deliver = Callable[[list[fx.Delivery]], Awaitable[object]]
FAILED = "⚠ Something went wrong; nothing was changed."
# Runs a plugin and records its outcome (plugins/host.py, attached by the composition root);
# returns the messages to deliver, committed, its own outbox row marked in the same commit.
PluginRunner = Callable[[fx.Delivery, fx.RunPlugin], Awaitable[list[fx.Delivery]]]


class Worker(Protocol):
    """The timer worker (jobs/worker.py), built by the composition root."""

    busy: bool
    report: Callable[[str, BaseException | None], None]

    def attach(self, deliver: Deliver) -> None: ...

    def nudge(self) -> None: ...

    async def run(self) -> None: ...

    async def close(self) -> None: ...


WORKER = "timer worker"
REFRESH = "on-call refresh"
IDLE_GIVE_UP = 30.0  # seconds `wait_idle` waits on a database that does not answer


class Runtime:
    def __init__(
        self,
        app: App,
        chats: Mapping[str, Chat],
        *,
        worker: Worker | None = None,
        status: StatusSource | None = None,
        pagers: Mapping[str, Pager] | None = None,
        tracker: Tracker | None = None,
        presence: Presence | None = None,
    ) -> None:
        self.app = app
        self.chats = dict(chats)
        self.status = status
        self.calls = Calls(lambda: app.settings, pagers or {}, tracker)
        self.marks = Marks(app.mark_delivered)
        self.queues = Queues(self._apply, app.mark_failed, self.marks.now)
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._channels = ChannelLocks()
        self._tasks: set[asyncio.Task[None]] = set()
        self.worker = worker
        if worker is not None:
            worker.attach(self.deliver)
        self.supervisor = Supervisor()
        self.plugin_runner: PluginRunner | None = None
        self._picks = asyncio.Lock()
        if worker is not None:
            worker.report = self.supervisor.report
        # Per platform, whether its adapter is connected now (Slack's socket, Matrix's sync
        # loop): the adapters set it, /readyz reads it. A platform not in it counts as up.
        self.connected: dict[str, bool] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        rot = app.settings.rotation
        # No presence port: everyone counts as online (the lead wires Slack's at merge).
        self.presence = PresenceCache(
            presence, ttl=rot.presence_ttl, max_calls=rot.presence_calls, now=app.clock.now
        )

    @property
    def pagers(self) -> dict[str, Pager]:
        return self.calls.pagers

    @property
    def tracker(self) -> Tracker | None:
        return self.calls.tracker

    async def start(self) -> None:
        """Deliver what was committed but not delivered before the last stop; start timers."""
        self._loop = asyncio.get_running_loop()
        pending = await asyncio.to_thread(self.app.pending_effects)
        if pending:
            log.info("delivering %d effects left over from the last run", len(pending))
            await self.deliver(pending)
        if self.worker is not None and not self.supervisor.running(WORKER):
            self.app.timer_scheduled.append(self._timer_scheduled)
            if self.chats:  # pre-shift DMs go out on the first platform
                await asyncio.to_thread(self.app.ensure_oncall_timers, next(iter(self.chats)))
            self.supervisor.start(WORKER, self.worker.run)

    def supervise(self, name: str, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run a long-lived task under the supervisor (restarted when it raises; `health`)."""
        self.supervisor.start(name, run)

    def health(self) -> dict[str, str]:
        """Every long-lived task's state: "ok", or why it keeps failing (`/readyz`, the shell);
        the batched delivery marks count as one."""
        out = self.supervisor.health()
        if self.marks.failing >= self.supervisor.failing_after:
            out["delivery marks"] = f"failing ({self.marks.failing} tries): {self.marks.error}"
        elif self.marks.failing or "delivery marks" in out:
            out["delivery marks"] = "ok"
        return out

    def failing(self) -> dict[str, str]:
        return {name: why for name, why in self.health().items() if why != "ok"}

    def _timer_scheduled(self, due: object) -> None:
        """From whichever thread committed: a timer was scheduled, maybe due before the
        worker's next look; wake it. Commands that schedule nothing wake nothing."""
        loop, worker = self._loop, self.worker
        if loop is None or worker is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(worker.nudge)

    async def stop(self) -> None:
        with contextlib.suppress(ValueError):
            self.app.timer_scheduled.remove(self._timer_scheduled)
        running = self.supervisor.running(WORKER)
        await self.supervisor.stop()
        await self.wait_idle()  # marks what was delivered
        await self.marks.stop()
        if running and self.worker is not None:
            await self.worker.close()

    async def on_message(self, msg: ChatMessage) -> None:
        if self._seen_before(msg.event_id):
            log.info("event %s arrived again; answered once", msg.event_id)
            return
        async with self._working(), self._channels.hold((msg.platform, msg.channel)):
            # Bound before the thread hop: to_thread copies the context, so every line the
            # command logs carries them.
            with logs.bound(platform=msg.platform, event_id=msg.event_id, channel=msg.channel):
                try:
                    deliveries = await asyncio.to_thread(self.app.handle_message, msg)
                except Exception as exc:  # the last line of defence: answer, never die
                    event = msg.event_id or msg.ref
                    kind = type(exc).__name__
                    log.error("message %s from %s failed: %s: %s; nothing was changed",
                              event, msg.user, kind, exc)  # fmt: skip
                    await self._tell_sender(msg, [ChatError(FAILED)], warn=False)
                    return
                refused = await self.deliver(deliveries)
                if refused:
                    await self._tell_sender(msg, refused)

    def _seen_before(self, event_id: str | None) -> bool:
        """In memory, before parsing: a message that comes as both `message` and `app_mention`
        (one event ID) or is re-sent while this process runs is handled once. Across restarts
        the `processed_events` claim of every command that writes holds the same rule."""
        if event_id is None:
            return False
        if event_id in self._seen:
            return True
        self._seen[event_id] = None
        if len(self._seen) > SEEN_KEPT:
            self._seen.popitem(last=False)
        return False

    async def on_reaction(self, reaction: Reaction) -> None:
        async with self._working():
            try:
                deliveries = await asyncio.to_thread(self.app.handle_reaction, reaction)
            except Exception as exc:  # the last line of defence: log, never die
                log.error("reaction %s by %s on %s failed: %s: %s; nothing was changed",
                          reaction.emoji, reaction.user, reaction.message_ref,
                          type(exc).__name__, exc)  # fmt: skip
                return
            await self.deliver(deliveries)

    async def deliver(self, deliveries: list[fx.Delivery]) -> list[ChatError]:
        """Background effects (their spec says so: pages, tickets, status checks, rotation
        picks) each go to their own task; the others are delivered in order per target.
        Returns what the platforms refused (logged)."""
        foreground = []
        for delivery in deliveries:
            if fx.is_background(delivery.effect):
                self._spawn(fx.apply(self, delivery))
            else:
                foreground.append(delivery)
        done, refused = await self.queues.deliver(coalesce(foreground))
        if done:
            self.marks.add(done)
        return refused

    async def _apply(self, delivery: fx.Delivery) -> None:
        await fx.apply(self, delivery)

    async def _tell_sender(
        self, msg: ChatMessage, refused: list[ChatError], *, warn: bool = True
    ) -> None:
        """Tell the sender what could not be done: where they typed, else in a DM."""
        chat = self.chats.get(msg.platform)
        if chat is None:
            return
        mark = "⚠ " if warn else ""
        doc = Doc.of(*(f"{mark}{exc}" for exc in dict.fromkeys(str(e) for e in refused)))
        with contextlib.suppress(ChatError):
            if not msg.is_dm:
                await chat.post(channel=msg.channel, doc=doc, thread=msg.thread, only_to=msg.user)
                return
        try:
            await chat.direct(user=msg.user, doc=doc)
        except ChatError as exc:
            log.error("could not tell %s that an action failed: %s", msg.user, exc)

    # The effects.Apply port ------------------------------------------------------------------

    def chat(self, platform: str) -> Chat:
        chat = self.chats.get(platform)
        if chat is None:
            raise LookupError(f"no chat adapter for platform {platform!r}")
        return chat

    async def posted(self, platform: str, ref_key: str, ref: str) -> None:
        await asyncio.to_thread(self.app.message_posted, platform, ref_key, ref)

    async def write_file(self, path: str, content: str) -> None:
        await asyncio.to_thread(_write_file, Path(path), content)

    async def check_status(self, delivery: fx.Delivery, effect: fx.CheckStatus) -> None:
        snapshot = await self.status.snapshot() if self.status else Snapshot(())
        follow = await asyncio.to_thread(
            self.app.status_checked, effect, delivery.platform, snapshot
        )
        # Its result is in the outbox now: marked at once, so a restart never checks again.
        await self._mark_now(delivery)
        await self.deliver(follow)

    async def pick(self, delivery: fx.Delivery, effect: fx.PickResponder) -> None:
        # One pick at a time in this process: the candidates whose presence is checked are read
        # after the previous pick committed, so the presence asked is the new head's (across
        # replicas the database's lock serialises the picks themselves: store/rotation.py).
        async with self._picks:
            handles = await asyncio.to_thread(self.app.rotation_candidates, effect)
            found = await self.presence.resolve(handles)
            follow = await asyncio.to_thread(
                self.app.rotation_presence, effect, delivery.platform, found.statuses
            )
        await self._mark_now(delivery)
        await self.deliver(follow)

    async def _mark_now(self, delivery: fx.Delivery) -> None:
        if delivery.outbox_id is None:
            return
        try:
            await asyncio.to_thread(self.app.mark_delivered, [delivery.outbox_id])
        except Exception:  # the database went away this instant: the batch tries again
            self.marks.add([delivery.outbox_id])

    async def run_plugin(self, delivery: fx.Delivery, effect: fx.RunPlugin) -> None:
        if self.plugin_runner is None:  # left in the outbox for a start that loads plugins
            log.warning("plugin %s: no plugins are loaded; not run", effect.plugin)
            return
        await self.deliver(await self.plugin_runner(delivery, effect))

    async def page(self, delivery: fx.Delivery, effect: fx.PageCall) -> None:
        await self.calls.page(effect, delivery.outbox_id, self.app, self.deliver)

    async def ticket(self, delivery: fx.Delivery, effect: fx.OpenTicket) -> None:
        link, error = await self.calls.open_ticket(effect)
        notices = await asyncio.to_thread(
            self.app.ticket_outcome, effect, link, error, delivery.outbox_id
        )
        await self.deliver(notices)

    async def read_issues(self, delivery: fx.Delivery, effect: fx.ReadIssues) -> None:
        states, error = await self.calls.issue_states(effect.keys)
        notices = await asyncio.to_thread(
            self.app.issues_read, effect, states, error, delivery.outbox_id
        )
        await self.deliver(notices)

    # Providers -------------------------------------------------------------------------------

    async def call_pager(self, call: fx.PageCall) -> str | None:
        return await self.calls.call_pager(call)

    async def refresh_oncall(self) -> None:
        await self.calls.refresh_oncall(self.app.store_oncall)

    async def run_refresher(self) -> None:
        """Refresh the on-call cache every `oncall.refresh_seconds` until cancelled; a failed
        round (the database briefly away) is reported and tried again sooner."""
        while True:
            wait = self.app.settings.oncall.refresh_seconds
            try:
                await self.refresh_oncall()
            except Exception as exc:
                self.supervisor.report(REFRESH, exc)
                wait = min(wait, self.supervisor.backoff(REFRESH) * 5)
            else:
                self.supervisor.report(REFRESH, None)
            await asyncio.sleep(wait)

    # Idleness --------------------------------------------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` in the background; `wait_idle` waits for it too."""
        self._busy += 1
        self._idle.clear()

        async def run() -> None:
            try:
                await work
            except Exception:
                log.exception("background delivery failed")
            finally:
                self._busy -= 1
                self._update_idle()

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait_idle(self) -> None:
        """Until no message is being handled, no check is running, and no timer is due now
        or firing (timers due later do not count: the shell's `/sleep` waits for those).
        While the database does not answer it waits, up to IDLE_GIVE_UP seconds in all."""
        away = 0.0
        while True:
            await self._idle.wait()
            if self.worker is not None and self.supervisor.running(WORKER):
                try:
                    due = await asyncio.to_thread(self.app.next_timer_due)
                except Exception as exc:
                    if away >= IDLE_GIVE_UP:
                        log.error("gave up waiting for due timers: %s", exc)
                        due = None
                    else:
                        await asyncio.sleep(0.5)
                        away += 0.5
                        continue
                if self.worker.busy or (due is not None and due <= self.app.clock.now()):
                    self.worker.nudge()
                    await asyncio.sleep(0.02)
                    continue
            if self._idle.is_set():
                await self.marks.flush()  # a stop or a test reads the outbox next
                return

    def _update_idle(self) -> None:
        if self._busy == 0:
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


class ChannelLocks:
    """One message of a channel at a time, decided and delivered before the next is read, in
    arrival order (asyncio.Lock is FIFO); channels in parallel. A lock lives while someone
    holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: tuple[str, str]) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


def _write_file(path: Path, content: str) -> None:
    """Write atomically: a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(content, encoding="utf-8")
    tmp.replace(path)
