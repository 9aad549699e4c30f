"""What one idle round of the timer worker costs, call by call (CPU per call, 300 calls each),
with 10,000 timers pending an hour from now: the look for the next due time, the claim, the
heartbeat and the outbox sweep. The worker makes each of them once or twice a second.

    .venv/bin/python bench/timer_calls.py              # SQLite
    .venv/bin/python bench/timer_calls.py --db postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from warroom.app.service import App
from warroom.config import Settings
from warroom.store.db import connect
from warroom.store.tables import TimerRow

RUNS = 300


def seed(app: App, n: int) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    rows = [
        {"key": f"idle-{i}", "kind": "reminder", "due_at": later, "platform": "shell",
         "created_at": datetime.now(UTC)}
        for i in range(n)
    ]  # fmt: skip
    with app.sessions.begin() as session:
        session.execute(text("DELETE FROM timers"))
        session.execute(insert(TimerRow), rows)


def cpu_per_call(work: Callable[[], object]) -> float:
    for _ in range(20):
        work()
    start = time.process_time()
    for _ in range(RUNS):
        work()
    return (time.process_time() - start) / RUNS * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", help="database URL (default: a new SQLite file)")
    args = parser.parse_args()
    url = args.db or f"sqlite:///{Path(tempfile.mkdtemp()) / 'calls.db'}"
    settings = Settings()
    settings.storage.url = url
    app = App(sessions=connect(url), settings=settings)
    seed(app, 10_000)
    calls: dict[str, Callable[[], object]] = {
        "next due time": app.next_timer_due,
        "claim": lambda: app.claim_due_timers(worker="bench", limit=25, dead_after=2.5),
        "heartbeat": lambda: app.worker_beat("bench", [], []),
        "outbox sweep": lambda: app.pending_effects(older_than=30.0, dead_after=2.5),
    }
    kind = url.split(":")[0]
    for name, work in calls.items():
        print(f"{kind}: {name}: {cpu_per_call(work):.2f} ms CPU a call")


if __name__ == "__main__":
    main()
