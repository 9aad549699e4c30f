"""The async side: runs app calls off the event loop, delivers their effects in order per
channel, runs the timer worker, and calls providers (status, pagers, tracker) in the
background."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from warroom.app import effects as fx
from warroom.app.oncall import vendor_schedules
from warroom.app.presence import PresenceCache
from warroom.app.service import App
from warroom.core.doc import Doc
from warroom.core.oncall import Contact, PageAction
from warroom.core.status import Snapshot
from warroom.ports import (
    Chat,
    ChatError,
    ChatGone,
    ChatMessage,
    Pager,
    PagerError,
    Presence,
    Reaction,
    StatusSource,
    Tracker,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
MARK_DELAY = 0.1  # seconds between the batches that mark deliveries done


class Runtime:
    def __init__(
        self,
        app: App,
        chats: Mapping[str, Chat],
        *,
        status: StatusSource | None = None,
        timers: bool = True,
        pagers: Mapping[str, Pager] | None = None,
        tracker: Tracker | None = None,
        presence: Presence | None = None,
    ) -> None:
        from warroom.jobs.worker import TimerWorker

        self.app = app
        self.chats = dict(chats)
        self.status = status
        self.pagers = dict(pagers or {})
        self.tracker = tracker
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._to_mark: list[int] = []
        self._gone: set[str] = set()  # platforms nobody reads any more (a closed terminal)
        self._mark_task: asyncio.Task[None] | None = None
        # One delivery at a time per channel keeps its messages in the order they were decided.
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self.worker = (
            TimerWorker(app, self.deliver, poll=app.settings.timers.poll) if timers else None
        )
        self._worker_task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        rot = app.settings.rotation
        # No presence port: everyone counts as online (the lead wires Slack's at merge).
        self.presence = PresenceCache(
            presence, ttl=rot.presence_ttl, max_calls=rot.presence_calls, now=app.clock.now
        )

    async def start(self) -> None:
        """Deliver what was committed but not delivered before the last stop; start timers."""
        self._loop = asyncio.get_running_loop()
        pending = await asyncio.to_thread(self.app.pending_effects)
        if pending:
            log.info("delivering %d effects left over from the last run", len(pending))
            await self.deliver(pending)
        if self.worker is not None and self._worker_task is None:
            self.app.timer_scheduled.append(self._timer_scheduled)
            if self.chats:  # pre-shift DMs go out on the first platform
                await asyncio.to_thread(self.app.ensure_oncall_timers, next(iter(self.chats)))
            self._worker_task = asyncio.create_task(self.worker.run(), name="timer-worker")

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
        if self._worker_task is not None:
            self._worker_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker_task
            self._worker_task = None
        await self.wait_idle()  # marks what was delivered
        task = self._mark_task
        if task is not None:  # ends within MARK_DELAY, unless the database is away
            _, pending = await asyncio.wait({task}, timeout=2 * MARK_DELAY + 1)
            for unfinished in pending:  # left undelivered: sent again on the next start
                unfinished.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await unfinished

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
        into one message. Pages, tickets, status checks and rotation picks are I/O with
        timeouts: each goes to its own task. Returns what the platforms refused (logged)."""
        for delivery in deliveries:
            if isinstance(delivery.effect, fx.PageCall):
                self._spawn(self._page(delivery, delivery.effect))
            elif isinstance(delivery.effect, fx.OpenTicket):
                self._spawn(self._ticket(delivery, delivery.effect))
            elif isinstance(delivery.effect, fx.CheckStatus):
                self._spawn(self._check_status(delivery, delivery.effect))
            elif isinstance(delivery.effect, fx.PickResponder):
                self._spawn(self._pick(delivery, delivery.effect))
        groups: dict[tuple[str, str], list[_Item]] = {}
        for item in _coalesce([d for d in deliveries if not isinstance(d.effect, _BACKGROUND)]):
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
                except ChatGone:
                    if item.platform not in self._gone:
                        self._gone.add(item.platform)
                        log.warning("%s: nobody is reading; undelivered effects stay in the "
                                    "outbox for the next start", item.platform)  # fmt: skip
                    break
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
        """Off the reply path: deliveries are marked in one transaction per MARK_DELAY, not
        one each (at 100 messages a second that was a transaction per message, competing
        with the commands' own for SQLite's one writer). A crash in between re-sends at most
        the last MARK_DELAY's messages on restart: delivery is at least once either way."""
        self._to_mark.extend(ids)
        if self._mark_task is None:
            self._mark_task = asyncio.get_running_loop().create_task(self._mark_later())

    async def _mark_later(self) -> None:
        try:
            while self._to_mark:
                await asyncio.sleep(MARK_DELAY)
                if not await self._flush_marks():
                    await asyncio.sleep(1.0)  # the database is away: try again, not in a spin
        finally:
            self._mark_task = None

    async def _flush_marks(self) -> bool:
        """Mark every delivery waiting; False (and they wait on) if the database refused."""
        batch, self._to_mark = self._to_mark, []
        if not batch:
            return True
        try:
            await asyncio.to_thread(self.app.mark_delivered, batch)
        except Exception:
            log.exception("could not mark %d deliveries done; retrying", len(batch))
            self._to_mark[:0] = batch
            return False
        return True

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

    async def _check_status(self, delivery: fx.Delivery, effect: fx.CheckStatus) -> None:
        snapshot = await self.status.snapshot() if self.status else Snapshot(())
        follow = await asyncio.to_thread(
            self.app.status_checked, effect, delivery.platform, snapshot
        )
        await self.deliver(follow)
        if delivery.outbox_id is not None:
            await self._mark_delivered([delivery.outbox_id])

    async def _pick(self, delivery: fx.Delivery, effect: fx.PickResponder) -> None:
        handles = await asyncio.to_thread(self.app.rotation_candidates, effect)
        found = await self.presence.resolve(handles)
        follow = await asyncio.to_thread(
            self.app.rotation_presence, effect, delivery.platform, found.statuses
        )
        await self.deliver(follow)
        if delivery.outbox_id is not None:
            await self._mark_delivered([delivery.outbox_id])

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
        elif isinstance(effect, fx.CreateChannel):
            await chat.create_channel(name=effect.name)
        elif isinstance(effect, fx.Invite):
            await chat.invite(channel=effect.channel, users=list(effect.users))
        elif isinstance(effect, fx.SetTopic):
            await chat.set_topic(channel=effect.channel, topic=effect.topic)

    async def _page(self, delivery: fx.Delivery, call: fx.PageCall) -> None:
        error = await self.call_pager(call)
        notices = await asyncio.to_thread(self.app.page_outcome, call, error, delivery.outbox_id)
        await self.deliver(notices)

    async def _ticket(self, delivery: fx.Delivery, ticket: fx.OpenTicket) -> None:
        link: str | None = None
        error: str | None = "no tracker is set up: JIRA_EMAIL or JIRA_API_TOKEN is missing"
        tracker = self.tracker
        if tracker is not None:

            async def work() -> str:
                return await tracker.open_issue(
                    key=ticket.key, summary=ticket.summary, description=ticket.description
                )

            link, error = await self._with_retries(ticket.key, "jira", work)
        notices = await asyncio.to_thread(
            self.app.ticket_outcome, ticket, link, error, delivery.outbox_id
        )
        await self.deliver(notices)

    async def call_pager(self, call: fx.PageCall) -> str | None:
        """Call the provider with a timeout, retrying timeouts, 429s and 5xx with exponential
        backoff. The dedup key makes retries and redeliveries one alert. Returns the reason it
        failed, or None."""
        pager = self.pagers.get(call.provider)
        if pager is None:
            return f"{call.provider} is not set up: its API key is missing"

        async def work() -> None:
            await _call(pager, call)

        _, error = await self._with_retries(call.key, call.provider, work)
        return error

    async def _with_retries(
        self, key: str, provider: str, work: Callable[[], Awaitable[T]]
    ) -> tuple[T | None, str | None]:
        """(result, None), or (None, why it failed) after the retries."""
        config = self.app.settings.paging
        for attempt in range(config.retries + 1):
            try:
                async with asyncio.timeout(config.timeout_seconds):
                    return await work(), None
            except TimeoutError:
                reason, retryable = f"no answer within {config.timeout_seconds:g}s", True
            except PagerError as exc:
                reason, retryable = str(exc), exc.retryable
            except Exception:
                log.exception("calling %s failed", provider)
                reason, retryable = "unexpected error, see the bot's log", False
            log.warning("%s via %s: %s (try %d)", key, provider, reason, attempt + 1)
            if not retryable or attempt == config.retries:
                return None, reason
            await asyncio.sleep(config.backoff_seconds * 2**attempt)
        return None, "no attempt made"  # not reached: the loop returns

    async def refresh_oncall(self) -> None:
        """Fetch every vendor schedule once, concurrently, each with the paging timeout, into
        the on-call cache. A provider that fails leaves its last good answer in place."""
        schedules = vendor_schedules(self.app.settings)
        await asyncio.gather(*(self._refresh_one(p, s) for p, s in schedules))

    async def _refresh_one(self, provider: str, schedule: str) -> None:
        pager = self.pagers.get(provider)
        people: list[Contact] | None = None
        error = None
        if pager is None:
            error = f"{provider} is not set up: its API key is missing"
        else:
            try:
                async with asyncio.timeout(self.app.settings.paging.timeout_seconds):
                    people = await pager.on_call(schedule=schedule)
            except TimeoutError:
                error = f"no answer within {self.app.settings.paging.timeout_seconds:g}s"
            except PagerError as exc:
                error = str(exc)
            except Exception:
                log.exception("refreshing %s schedule %s failed", provider, schedule)
                error = "unexpected error, see the bot's log"
        await asyncio.to_thread(self.app.store_oncall, provider, schedule, people, error)

    async def run_refresher(self) -> None:
        """Refresh the on-call cache every `oncall.refresh_seconds` until cancelled."""
        while True:
            try:
                await self.refresh_oncall()
            except Exception:  # the database may be briefly away; try again next round
                log.exception("on-call refresh failed")
            await asyncio.sleep(self.app.settings.oncall.refresh_seconds)

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
                await self._flush_marks()  # a stop or a test reads the outbox next
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


_BACKGROUND = (fx.PageCall, fx.OpenTicket, fx.CheckStatus, fx.PickResponder)


async def _call(pager: Pager, call: fx.PageCall) -> None:
    if call.action is PageAction.TRIGGER:
        await pager.trigger(
            key=call.key, summary=call.summary, schedules=list(call.schedules),
            people=list(call.people),
        )  # fmt: skip
    elif call.action is PageAction.ACKNOWLEDGE:
        await pager.acknowledge(key=call.key)
    else:
        await pager.resolve(key=call.key)


@dataclass
class _Item:
    """One effect to apply, standing for one or more outbox rows (merged posts)."""

    platform: str
    effect: fx.Effect
    ids: list[int]

    @property
    def target(self) -> tuple[str, str]:
        """Where order matters: one channel, one DM, one file."""
        effect = self.effect
        if isinstance(effect, fx.WriteFile):
            return ("files", effect.path)
        if isinstance(effect, fx.Direct):
            return (self.platform, "@" + effect.user)
        if isinstance(effect, fx.CreateChannel):
            return (self.platform, "#" + effect.name)
        if isinstance(effect, fx.Post | fx.SetTopic | fx.Invite):
            return (self.platform, "#" + effect.channel)
        return (self.platform, "*")


def _coalesce(deliveries: list[fx.Delivery]) -> list[_Item]:
    items: list[_Item] = []
    for d in deliveries:
        ids = [d.outbox_id] if d.outbox_id is not None else []
        last = items[-1] if items else None
        if (
            last is not None
            and isinstance(d.effect, fx.Post)
            and isinstance(last.effect, fx.Post)
            and last.effect.ref_key is None  # a message whose ref the app waits for stays whole
            and d.effect.ref_key is None
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


def _write_file(path: Path, content: str) -> None:
    """Write atomically: a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(content, encoding="utf-8")
    tmp.replace(path)
