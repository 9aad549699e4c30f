"""/readyz reports whether chat is connected: the adapters keep the runtime's `connected`."""

from __future__ import annotations

import asyncio

import aiohttp

from slack_helpers import connected, run
from warroom.app.service import App
from warroom.chat.slack import PLATFORM
from warroom.web.server import WebServer


async def readyz(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/readyz") as resp:
        return resp.status, (await resp.json())["checks"]["chat"]


def test_readyz_is_503_naming_slack_when_its_socket_is_gone(app: App) -> None:
    async def scenario() -> None:
        async with connected(app) as s:
            runtime = s.bot.runtime
            assert runtime is not None
            assert {PLATFORM: True} == runtime.connected
            web = WebServer(runtime, "127.0.0.1", 0)
            await web.start()
            try:
                assert (200, "ok") == await readyz(web.url)
                await s.slack.close()  # Slack away: the socket closes, reconnecting fails
                for _ in range(100):
                    if not runtime.connected[PLATFORM]:
                        break
                    await asyncio.sleep(0.1)
                assert (503, "not connected: slack") == await readyz(web.url)
            finally:
                await web.stop()
        assert {PLATFORM: False} == runtime.connected  # stopped

    run(scenario)


def test_matrix_is_connected_while_its_last_sync_succeeded(app: App) -> None:
    """The sync loop keeps the runtime's `connected["matrix"]`: a failed /sync turns it off,
    the next one that succeeds turns it on again."""
    from functools import partial

    from warroom.chat.matrix import MatrixBot, MatrixSettings
    from warroom.wiring import runtime_for

    async def scenario() -> None:
        settings = MatrixSettings(
            homeserver="http://127.0.0.1:9", user_id="@warroom:example.org",
            access_token="syt_test", device_id="TEST",
        )  # fmt: skip
        bot = MatrixBot(app, settings, runtime_factory=partial(runtime_for, app))
        async with runtime_for(app, {"matrix": bot.chat}) as runtime:
            bot.runtime = runtime
            outcomes = [OSError("homeserver away"), None]
            tried = asyncio.Event()

            async def sync_once(*, timeout_ms: int) -> None:
                outcome = outcomes.pop(0) if outcomes else None
                tried.set()
                if outcome is not None:
                    raise outcome
                await asyncio.sleep(0.05)

            bot.sync_once = sync_once  # type: ignore[method-assign]
            bot._task = loop = asyncio.create_task(bot._sync_forever())
            await tried.wait()
            await asyncio.sleep(0.01)
            assert {"matrix": False} == runtime.connected
            for _ in range(50):  # the retry comes after 1 s
                await asyncio.sleep(0.1)
                if runtime.connected.get("matrix"):
                    break
            assert {"matrix": True} == runtime.connected
            await bot.stop()
            assert loop.done()
            assert {"matrix": False} == runtime.connected

    run(scenario)
