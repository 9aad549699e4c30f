"""Calls to providers (pagers, the tracker, on-call schedules) with a timeout each.

A page's trigger is tried once per `PageCall` (`send_page`): a try that fails is retried
durably, by a timer the app schedules from the outcome (app/paging.py), so a page survives
restarts and is never abandoned before `paging.deadline`; a try slower than
`paging.slow_after` lets the app show the phone numbers meanwhile. Acknowledgements, resolves
and tickets retry timeouts, 429s and 5xx (`PagerError.retryable`, from providers/http.py) in
process, with exponential backoff (`with_retries`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

from warroom.app import effects as fx
from warroom.app.oncall import vendor_schedules
from warroom.config import Settings
from warroom.core.oncall import Contact, PageAction
from warroom.ports import IssueState, Pager, PagerError, Tracker

log = logging.getLogger(__name__)
T = TypeVar("T")
NO_TRACKER = "no tracker is set up: JIRA_EMAIL or JIRA_API_TOKEN is missing"
StoreOnCall = Callable[[str, str, list[Contact] | None, str | None], None]


Deliver = Callable[[list[fx.Delivery]], Awaitable[object]]


class PageOutcomes(Protocol):
    """What delivering a page needs of the app (`App` is one)."""

    def page_slow(self, call: fx.PageCall) -> list[fx.Delivery]: ...

    def page_outcome(
        self,
        call: fx.PageCall,
        error: str | None,
        outbox_id: int | None,
        *,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> list[fx.Delivery]: ...


@dataclass(frozen=True)
class Attempt:
    """One try of a page call: `error` is None when the provider confirmed it; `retryable`
    and `retry_after` (seconds the provider asked for) say whether and when to try again."""

    error: str | None = None
    retryable: bool = False
    retry_after: float | None = None


class Calls:
    def __init__(
        self,
        settings: Callable[[], Settings],
        pagers: Mapping[str, Pager],
        tracker: Tracker | None,
    ) -> None:
        self._settings = settings  # read at each call: the app's settings may be replaced
        self.pagers = dict(pagers)
        self.tracker = tracker

    @property
    def settings(self) -> Settings:
        return self._settings()

    async def call_pager(self, call: fx.PageCall) -> str | None:
        """Call the provider; the dedup key makes retries and redeliveries one alert. Returns
        the reason it failed, or None."""
        pager = self.pagers.get(call.provider)
        if pager is None:
            return f"{call.provider} is not set up: its API key is missing"

        async def work() -> None:
            await _call(pager, call)

        _, error = await self.with_retries(call.key, call.provider, work)
        return error

    async def attempt(self, call: fx.PageCall) -> Attempt:
        """One try of `call` within `paging.timeout_seconds`."""
        pager = self.pagers.get(call.provider)
        if pager is None:
            return Attempt(f"{call.provider} is not set up: its API key is missing")
        timeout = self.settings.paging.timeout_seconds
        try:
            async with asyncio.timeout(timeout):
                await _call(pager, call)
        except TimeoutError:
            found = Attempt(f"no answer within {timeout:g}s", retryable=True)
        except PagerError as exc:
            found = Attempt(str(exc), exc.retryable, exc.retry_after)
        except Exception:
            log.exception("calling %s failed", call.provider)
            found = Attempt("unexpected error, see the bot's log")
        else:
            return Attempt()
        log.warning("%s via %s: %s (try %d)", call.key, call.provider, found.error, call.attempt)
        return found

    async def send_page(
        self, call: fx.PageCall, on_slow: Callable[[], Awaitable[object]]
    ) -> Attempt:
        """One try of `call`; when it has not answered within `paging.slow_after` seconds,
        `on_slow` runs while the try goes on (the phone numbers need not wait for a slow
        provider)."""
        task = asyncio.ensure_future(self.attempt(call))
        try:
            done, _ = await asyncio.wait({task}, timeout=self.settings.paging.slow_after)
            if not done:
                try:
                    await on_slow()
                except Exception:  # the try itself must still be recorded
                    log.exception("telling the channel about slow page %d failed", call.page_id)
            return await task
        finally:
            if not task.done():
                task.cancel()

    async def page(
        self, call: fx.PageCall, outbox_id: int | None, app: PageOutcomes, deliver: Deliver
    ) -> None:
        """Deliver a page call: a trigger is tried once (the phones shown meanwhile if it is
        slow) and its outcome recorded, which schedules the next try when it failed; an ack or
        resolve is retried in process. What the app says about it is delivered."""
        if call.action is PageAction.TRIGGER:

            async def slow() -> None:
                await deliver(await asyncio.to_thread(app.page_slow, call))

            found = await self.send_page(call, slow)
        else:
            found = Attempt(await self.call_pager(call))
        notices = await asyncio.to_thread(
            app.page_outcome, call, found.error, outbox_id,
            retryable=found.retryable, retry_after=found.retry_after,
        )  # fmt: skip
        await deliver(notices)

    async def open_ticket(self, ticket: fx.OpenTicket) -> tuple[str | None, str | None]:
        """(link, None), or (None, why not)."""
        tracker = self.tracker
        if tracker is None:
            return None, NO_TRACKER

        async def work() -> str:
            return await tracker.open_issue(
                key=ticket.key, summary=ticket.summary, description=ticket.description
            )

        return await self.with_retries(ticket.key, "jira", work)

    async def issue_states(
        self, keys: tuple[str, ...]
    ) -> tuple[dict[str, IssueState] | None, str | None]:
        """(the issues' states by key, None), or (None, why not)."""
        tracker = self.tracker
        if tracker is None:
            return None, NO_TRACKER

        async def work() -> dict[str, IssueState]:
            return await tracker.issue_states(keys=keys)

        return await self.with_retries(f"{len(keys)} issues", "jira", work)

    async def with_retries(
        self, key: str, provider: str, work: Callable[[], Awaitable[T]]
    ) -> tuple[T | None, str | None]:
        """(result, None), or (None, why it failed) after the retries."""
        config = self.settings.paging
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

    async def refresh_oncall(self, store: StoreOnCall) -> None:
        """Fetch every vendor schedule once, concurrently, each with the paging timeout, into
        the on-call cache. A provider that fails leaves its last good answer in place."""
        schedules = vendor_schedules(self.settings)
        await asyncio.gather(*(self._refresh_one(p, s, store) for p, s in schedules))

    async def _refresh_one(self, provider: str, schedule: str, store: StoreOnCall) -> None:
        pager = self.pagers.get(provider)
        people: list[Contact] | None = None
        error = None
        timeout = self.settings.paging.timeout_seconds
        if pager is None:
            error = f"{provider} is not set up: its API key is missing"
        else:
            try:
                async with asyncio.timeout(timeout):
                    people = await pager.on_call(schedule=schedule)
            except TimeoutError:
                error = f"no answer within {timeout:g}s"
            except PagerError as exc:
                error = str(exc)
            except Exception:
                log.exception("refreshing %s schedule %s failed", provider, schedule)
                error = "unexpected error, see the bot's log"
        await asyncio.to_thread(store, provider, schedule, people, error)


async def _call(pager: Pager, call: fx.PageCall) -> None:
    if call.action is PageAction.TRIGGER:
        await pager.trigger(
            key=call.key, summary=call.summary, schedules=list(call.schedules),
            people=list(call.people), war_room=call.war_room,
        )  # fmt: skip
    elif call.action is PageAction.ACKNOWLEDGE:
        await pager.acknowledge(key=call.key)
    else:
        await pager.resolve(key=call.key)
