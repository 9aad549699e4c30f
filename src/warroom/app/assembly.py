"""A runtime with everything the configuration asks for: status sources, pagers, the tracker,
the on-call refresher. Shared by every chat front (the shell, Slack)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Mapping

from warroom.app.oncall import vendor_schedules
from warroom.app.runtime import Runtime
from warroom.app.service import App
from warroom.ports import Chat, Presence


@contextlib.asynccontextmanager
async def runtime_for(
    app: App, chats: Mapping[str, Chat], *, presence: Presence | None = None
) -> AsyncIterator[Runtime]:
    """The runtime, not yet started; on exit its timers stop, work in hand finishes and every
    client is closed."""
    from warroom.providers import make_pagers, make_tracker
    from warroom.providers.status import StatusChecker

    settings = app.settings
    checker = StatusChecker(settings.status.sources)
    pagers = make_pagers(settings, chats, os.environ, app.clock)
    tracker = make_tracker(settings, os.environ)
    runtime = Runtime(app, chats, status=checker, pagers=pagers, tracker=tracker, presence=presence)
    refresher = None
    if vendor_schedules(settings):
        refresher = asyncio.create_task(runtime.run_refresher())
    try:
        yield runtime
    finally:
        if refresher is not None:
            refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await refresher
        await runtime.stop()
        await checker.aclose()
        for client in [*pagers.values(), tracker]:
            aclose = getattr(client, "aclose", None)
            if aclose is not None:
                await aclose()
