"""A worker process for the multi-process timer test: fires due timers until none are left,
then writes every post it made to OUT, one per line.

    python tests/timer_proc.py DB_URL OUT
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from warroom.app.runtime import Runtime
from warroom.app.service import App
from warroom.config import Settings
from warroom.store.db import connect
from warroom.testing import FakeChat


async def main(url: str, out: Path) -> None:
    settings = Settings()
    settings.reminders = []
    app = App(sessions=connect(url), settings=settings)
    chat = FakeChat()
    runtime = Runtime(app, {"shell": chat})
    from warroom.jobs.worker import TimerWorker

    worker = TimerWorker(app, runtime.deliver, batch=50)
    idle_rounds = 0
    while idle_rounds < 3:
        if await worker.tick() or await asyncio.to_thread(app.next_timer_due):
            idle_rounds = 0
        else:
            idle_rounds += 1
        await asyncio.sleep(0.05)
    out.write_text("\n".join(s.text for s in chat.sent) + "\n")
    app.sessions.kw["bind"].dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2])))
