"""One process of the two-process fairness test: waits for a line on stdin, then sends N
`devoncall`s at once through its own runtime on DB_URL and prints every line the bot said.

    python tests/pages_proc.py DB_URL N
"""

from __future__ import annotations

import asyncio
import os
import sys

from warroom.app.service import App
from warroom.config import Settings
from warroom.ports import ChatMessage
from warroom.store.db import connect
from warroom.testing import FakeChat
from warroom.wiring import build_runtime


async def main(url: str, n: int) -> None:
    settings = Settings()
    settings.reminders = []
    app = App(sessions=connect(url), settings=settings)
    chat = FakeChat()
    runtime = build_runtime(app, {"shell": chat}, timers=False)
    await runtime.start()
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    await asyncio.gather(
        *(
            runtime.on_message(
                ChatMessage(
                    platform="shell",
                    user="zed",
                    channel="war-room",
                    text=f"devoncall page {i}",
                    ref=f"{os.getpid()}.{i}",
                )
            )
            for i in range(n)
        )
    )
    await runtime.wait_idle()
    await runtime.stop()
    print("\n".join(chat.lines()), flush=True)
    app.sessions.kw["bind"].dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
