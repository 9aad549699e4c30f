"""The composition root: the one place that builds settings -> store -> providers -> app ->
runtime (with its timer worker). cli.py and testing.Conversation build through here; app/
imports neither providers/ nor jobs/ (the worker is passed into the runtime) nor chat/."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING

from warroom.app.oncall import vendor_schedules
from warroom.app.runtime import Runtime
from warroom.app.service import App
from warroom.config import Secrets, Settings
from warroom.config.secrets import reveal
from warroom.jobs.worker import TimerWorker
from warroom.ports import Chat, Clock, Pager, Presence, StatusSource, Tracker
from warroom.providers import make_pagers, make_tracker
from warroom.providers.builtin import builtin_pagers
from warroom.providers.status import StatusChecker
from warroom.store.db import connect

if TYPE_CHECKING:
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
    checker = StatusChecker(settings.status.sources)
    secrets = secrets or Secrets.load(settings)
    pagers = make_pagers(settings, chats, secrets, app.clock)
    tracker = make_tracker(settings, secrets)
    runtime = build_runtime(
        app, chats, status=checker, pagers=pagers, tracker=tracker, presence=presence
    )
    if vendor_schedules(settings):  # stopped with the runtime
        runtime.supervise("on-call refresh", runtime.run_refresher)
    try:
        yield runtime
    finally:
        await runtime.stop()
        await checker.aclose()
        for client in [*pagers.values(), tracker]:
            aclose = getattr(client, "aclose", None)
            if aclose is not None:
                await aclose()
