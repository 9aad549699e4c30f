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
