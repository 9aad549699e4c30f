"""A replica for the takeover tests and bench/chaos.py: a runtime with its own timer worker on
DB_URL, posting to a fake chat that takes POST_MS per post and appends "WALLTIME TEXT" to OUT
at once (flushed, so a kill -9 loses no line). Runs until killed or SIGTERM.

    python tests/replica_proc.py DB_URL OUT [POST_MS]
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from pathlib import Path
from typing import Any

from warroom.app.service import App
from warroom.config import Settings
from warroom.store.db import connect
from warroom.testing import FakeChat
from warroom.wiring import build_runtime


class SlowChat(FakeChat):
    def __init__(self, out: Path, post_ms: float) -> None:
        super().__init__("shell")
        self.out = out.open("a", buffering=1)
        self.delay = post_ms / 1000

    async def post(self, **kw: Any) -> str | None:
        await asyncio.sleep(self.delay)
        ref = await super().post(**kw)
        text = self.sent[-1].text.replace("\n", " | ")
        self.out.write(f"{time.time():.3f} {text}\n")
        return ref


async def main(url: str, out: Path, post_ms: float) -> None:
    settings = Settings()
    settings.reminders = []
    app = App(sessions=connect(url), settings=settings)
    chat = SlowChat(out, post_ms)
    runtime = build_runtime(app, {"shell": chat})
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await runtime.start()
    print("ready", flush=True)
    await stop.wait()
    await runtime.stop()
    app.sessions.kw["bind"].dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), float(sys.argv[3]) if sys.argv[3:] else 5))
