"""The composition root's shared runtime: Slack and Matrix in one process."""

from __future__ import annotations

import asyncio

from warroom.app.service import App
from warroom.testing import FakeChat
from warroom.wiring import SharedRuntime


def test_adapters_starting_at_once_share_one_runtime_started_when_all_joined(app: App) -> None:
    """Two adapters enter the shared factory at the same moment: one runtime, holding both
    chats, handed to both only once both have joined; it stops when the last one leaves."""
    shared = SharedRuntime(app, {"slack", "matrix"})
    got = []

    async def adapter(platform: str, started: asyncio.Event, leave: asyncio.Event) -> None:
        chat = FakeChat(platform)
        async with shared.factory({platform: chat}, presence=None) as runtime:
            got.append((platform, runtime, set(runtime.chats)))
            started.set()
            await leave.wait()

    async def scenario() -> None:
        events = [asyncio.Event() for _ in range(4)]
        first = asyncio.create_task(adapter("slack", events[0], events[1]))
        await asyncio.sleep(0.05)
        assert [] == got  # waits for matrix to join
        second = asyncio.create_task(adapter("matrix", events[2], events[3]))
        await asyncio.gather(events[0].wait(), events[2].wait())
        assert got[0][1] is got[1][1]
        assert {"slack", "matrix"} == got[0][2] == got[1][2]
        events[1].set()
        await first
        assert shared._users == 1  # still held by matrix
        events[3].set()
        await second
        assert shared._users == 0

    asyncio.run(scenario())
