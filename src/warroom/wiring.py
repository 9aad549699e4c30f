"""The composition root: the one place that builds settings -> store -> providers -> app ->
runtime (with its timer worker). cli.py and testing.Conversation build through here; app/
imports neither providers/ nor jobs/ (the worker is passed into the runtime) nor chat/."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Collection, Mapping
from typing import TYPE_CHECKING

from warroom.app.oncall import vendor_schedules
from warroom.app.runtime import Runtime
from warroom.app.service import App
from warroom.config import Secrets, Settings
from warroom.config.secrets import reveal
from warroom.jobs.worker import TimerWorker
from warroom.plugins import Plugins
from warroom.ports import Chat, ChatError, Clock, Pager, Presence, StatusSource, Tracker
from warroom.providers import make_pagers, make_tracker
from warroom.providers.builtin import builtin_pagers
from warroom.providers.status import StatusChecker
from warroom.store.db import connect

if TYPE_CHECKING:
    from warroom.chat.matrix import MatrixSettings
    from warroom.chat.slack import SlackTokens


def slack_tokens(settings: Settings, secrets: Secrets | None = None) -> SlackTokens | None:
    """Slack's tokens from the secrets (SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_SIGNING_SECRET,
    SLACK_API_URL), or None when there is no bot token."""
    from warroom.chat.slack import SlackTokens

    secrets = secrets or Secrets.load(settings)
    bot = reveal(secrets.slack_bot_token)
    if not bot:
        return None
    return SlackTokens(
        bot=bot,
        app=reveal(secrets.slack_app_token),
        signing_secret=reveal(secrets.slack_signing_secret),
        api_url=secrets.slack_api_url,
    )


def open_app(settings: Settings, *, clock: Clock | None = None) -> App:
    """The app on the database the settings name."""
    return App(sessions=connect(settings.storage.resolved_url()), settings=settings, clock=clock)


def timer_worker(app: App) -> TimerWorker:
    """The timer worker, polling as configured; the runtime it is passed to attaches its
    delivery."""
    return TimerWorker(app, poll=app.settings.timers.poll)


def build_runtime(
    app: App,
    chats: Mapping[str, Chat],
    *,
    timers: bool = True,
    status: StatusSource | None = None,
    pagers: Mapping[str, Pager] | None = None,
    tracker: Tracker | None = None,
    presence: Presence | None = None,
) -> Runtime:
    """A runtime on the given ports; with `timers`, its own timer worker runs from `start`."""
    worker = timer_worker(app) if timers else None
    return Runtime(
        app,
        chats,
        worker=worker,
        status=status,
        pagers=pagers,
        tracker=tracker,
        presence=presence,
    )


def manual_runtime(
    app: App,
    chats: Mapping[str, Chat],
    *,
    status: StatusSource | None = None,
    pagers: Mapping[str, Pager] | None = None,
    tracker: Tracker | None = None,
    presence: Presence | None = None,
) -> tuple[Runtime, TimerWorker]:
    """For scripted conversations: the builtin roster's pagers plus `pagers`, and a timer worker
    that fires only when asked (`worker.tick()`), delivering through the runtime."""
    all_pagers: dict[str, Pager] = {**builtin_pagers(app.settings, chats, app.clock)}
    all_pagers.update(pagers or {})
    runtime = build_runtime(
        app,
        chats,
        timers=False,
        status=status,
        pagers=all_pagers,
        tracker=tracker,
        presence=presence,
    )
    worker = TimerWorker(app, runtime.deliver)
    return runtime, worker


def matrix_settings(
    settings: Settings, secrets: Secrets | None = None, *, app: App | None = None
) -> MatrixSettings | None:
    """The Matrix account: from the secrets (MATRIX_HOMESERVER, MATRIX_USER_ID,
    MATRIX_ACCESS_TOKEN, MATRIX_DEVICE_ID, MATRIX_INVITES_FROM), else the login `warroom matrix
    login` stored in the database (the one of MATRIX_USER_ID, or the only one); None when
    there is neither."""
    from warroom.chat.matrix import MatrixSettings

    secrets = secrets or Secrets.load(settings)
    given = {
        "MATRIX_HOMESERVER": secrets.matrix_homeserver,
        "MATRIX_USER_ID": secrets.matrix_user_id,
        "MATRIX_ACCESS_TOKEN": reveal(secrets.matrix_access_token),
        "MATRIX_DEVICE_ID": secrets.matrix_device_id,
        "MATRIX_INVITES_FROM": secrets.matrix_invites_from,
    }
    if not given["MATRIX_ACCESS_TOKEN"] and app is not None:
        logins = app.matrix_logins()
        wanted = [a for a in logins if given["MATRIX_USER_ID"] in (None, a[0])]
        if len(wanted) == 1:
            user_id, homeserver, token, device_id = wanted[0]
            given.update(
                MATRIX_HOMESERVER=given["MATRIX_HOMESERVER"] or homeserver,
                MATRIX_USER_ID=user_id,
                MATRIX_ACCESS_TOKEN=token,
                MATRIX_DEVICE_ID=device_id,
            )
    return MatrixSettings.from_env({k: v for k, v in given.items() if v})


@contextlib.asynccontextmanager
async def runtime_for(
    app: App,
    chats: Mapping[str, Chat],
    *,
    presence: Presence | None = None,
    secrets: Secrets | None = None,
) -> AsyncIterator[Runtime]:
    """The runtime with everything the configuration asks for (status sources, pagers and
    tracker whose keys are in the environment, the on-call refresher), not yet started; on
    exit its timers stop, work in hand finishes and every client is closed."""
    settings = app.settings
    # Described and registered before the runtime delivers anything; a bad one stops the start.
    plugins = await Plugins.start(settings) if settings.plugins.enabled else None
    checker = StatusChecker(settings.status.sources)
    secrets = secrets or Secrets.load(settings)
    pagers = make_pagers(settings, chats, secrets, app.clock)
    tracker = make_tracker(settings, secrets)
    runtime = build_runtime(
        app, chats, status=checker, pagers=pagers, tracker=tracker, presence=presence
    )
    if plugins is not None:
        plugins.attach(app, runtime)
    if vendor_schedules(settings):  # stopped with the runtime
        runtime.supervise("on-call refresh", runtime.run_refresher)
    try:
        yield runtime
    finally:
        await runtime.stop()
        if plugins is not None:
            plugins.close()
        await checker.aclose()
        for client in [*pagers.values(), tracker]:
            aclose = getattr(client, "aclose", None)
            if aclose is not None:
                await aclose()


class AnyPresence:
    """Presence across several chat platforms: someone is active when any platform says so
    (on Slack at their desk, on Matrix from their phone)."""

    def __init__(self) -> None:
        self.ports: list[Presence] = []

    async def presence(self, *, user: str) -> str:
        for port in self.ports:
            try:
                if await port.presence(user=user) == "active":
                    return "active"
            except ChatError:
                continue  # not on that platform
        return "away"


class SharedRuntime:
    """One runtime for several chat adapters in one process (Slack and Matrix on one
    database): one timer worker and one outbox, each effect delivered to the platform it
    names. Its `factory` is every adapter's RuntimeFactory; the runtime starts delivering only
    once every platform has joined (so a left-over effect for the second is not refused while
    the first starts), and stops when the last adapter leaves."""

    def __init__(self, app: App, platforms: Collection[str]) -> None:
        self.app = app
        self.waiting = set(platforms)
        self.presence = AnyPresence()
        self.ready = asyncio.Event()
        self.runtime: Runtime | None = None
        self._users = 0
        self._stack = contextlib.AsyncExitStack()
        self._building = asyncio.Lock()  # adapters start at once: one runtime, built once

    @contextlib.asynccontextmanager
    async def factory(
        self, chats: Mapping[str, Chat], *, presence: Presence | None
    ) -> AsyncIterator[Runtime]:
        async with self._building:
            if self.runtime is None:
                self.runtime = await self._stack.enter_async_context(
                    runtime_for(self.app, {}, presence=self.presence)
                )
        runtime = self.runtime
        runtime.chats.update(chats)
        if presence is not None:
            self.presence.ports.append(presence)
        self.waiting -= set(chats)
        if not self.waiting:
            self.ready.set()
        self._users += 1
        try:
            await self.ready.wait()
            yield runtime
        finally:
            self._users -= 1
            if self._users == 0:
                await self._stack.aclose()


def settle_heap() -> None:
    """Call once the bot is up. What start-up loaded (modules, settings, the app, its adapters)
    lives as long as the process: collected once, then frozen out of the garbage collector's
    sight (`gc.freeze`), so a full collection no longer walks it. Without this a full
    collection landing in a command cost 50–78 ms (the `slo` p99 was 83–105 ms for a p50 of
    16–20 ms); with it no pause over 2 ms in 300 runs (docs/performance.md, bench/slo.py)."""
    gc.collect()
    gc.freeze()
