"""Calls to providers (pagers, the tracker, on-call schedules) with a timeout each, retrying
timeouts, 429s and 5xx (`PagerError.retryable`, from providers/http.py) with exponential
backoff."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from warroom.app import effects as fx
from warroom.app.oncall import vendor_schedules
from warroom.config import Settings
from warroom.core.oncall import Contact, PageAction
from warroom.ports import Pager, PagerError, Tracker

log = logging.getLogger(__name__)
T = TypeVar("T")
NO_TRACKER = "no tracker is set up: JIRA_EMAIL or JIRA_API_TOKEN is missing"
StoreOnCall = Callable[[str, str, list[Contact] | None, str | None], None]


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
            people=list(call.people),
        )  # fmt: skip
    elif call.action is PageAction.ACKNOWLEDGE:
        await pager.acknowledge(key=call.key)
    else:
        await pager.resolve(key=call.key)
