"""Durable timers under load: lateness, idle CPU, catching up after a restart.

    .venv/bin/python bench/timers.py              # SQLite
    .venv/bin/python bench/timers.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test

1. 10,000 pending timers across 1,000 incidents, due spread over --spread seconds: lateness
   (post time minus due time) p50/p99/max.
2. CPU of the worker while idle with 10,000 timers pending an hour from now.
3. 1,000 overdue timers when the worker starts (as after a restart): time until all fired.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
from sqlalchemy import insert

from warroom.app.runtime import Runtime
from warroom.app.service import App
from warroom.config import Settings
from warroom.core import incident as core
from warroom.core.doc import Doc, render_plain
from warroom.jobs.worker import TimerWorker
from warroom.store import incidents as repo
from warroom.store import timers
from warroom.store.db import connect
from warroom.store.tables import TimerRow


class StampChat:
    """Records when each timer's post arrived."""

    platform = "shell"

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}

    async def post(
        self, *, channel: str, doc: Doc, thread: str | None = None, only_to: str | None = None
    ) -> str | None:
        self.arrived[render_plain(doc).rsplit(" ", 1)[-1]] = time.time()
        return None

    async def direct(self, *, user: str, doc: Doc) -> str | None:
        return None

    async def set_topic(self, *, channel: str, topic: Doc | None) -> None:
        return None

    async def create_channel(self, *, name: str) -> str:
        return name

    async def invite(self, *, channel: str, users: list[str]) -> None:
        return None


def seed(
    app: App, count: int, incidents: int, due: list[datetime], tag: str
) -> dict[str, datetime]:
    """Incidents through the store, timers in one bulk INSERT (seeding is not what we measure)."""
    now = datetime.now(UTC)
    with app.sessions.begin() as session:
        ids = []
        for i in range(incidents):
            new, _ = core.start(
                platform="shell",
                channel=f"{tag}{i}",
                summary="s",
                imoc="imoc",
                reporter="r",
                now=now,
            )
            ids.append(repo.add(new, session=session).id)
        rows = []
        for n in range(count):
            payload = {"command": "message", "message": f"{tag}-{n}", "team": None, "every": None,
                       "index": 0, "occurrence": 1, "stop": False}  # fmt: skip
            rows.append(
                {
                    "key": f"{tag}-{n}",
                    "kind": "reminder",
                    "due_at": due[n],
                    "platform": "shell",
                    "incident_id": ids[n % incidents],
                    "payload": json.dumps(payload),
                    "created_at": now,
                    "claim_token": 0,
                }
            )
        session.execute(insert(TimerRow), rows)
    return {f"{tag}-{n}": due[n] for n in range(count)}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run_worker(app: App, chat: StampChat, until: float) -> TimerWorker:
    runtime = Runtime(app, {"shell": chat})
    worker = TimerWorker(app, runtime.deliver, poll=app.settings.timers.poll)
    task = asyncio.create_task(worker.run())
    await asyncio.sleep(max(0.0, until - time.time()))
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return worker


def bench(url: str, label: str, spread: float) -> None:
    settings = Settings()
    settings.reminders = []
    app = App(sessions=connect(url), settings=settings)

    # 1. lateness
    start = datetime.now(UTC) + timedelta(seconds=10)
    due = [start + timedelta(seconds=spread * n / 10_000) for n in range(10_000)]
    t0 = time.time()
    dues = seed(app, 10_000, 1_000, due, "late")
    print(f"{label}: seeded 10,000 timers across 1,000 incidents in {time.time() - t0:.1f} s")
    chat = StampChat()
    asyncio.run(run_worker(app, chat, until=start.timestamp() + spread + 10))
    late = [chat.arrived[k] - d.timestamp() for k, d in dues.items() if k in chat.arrived]
    print(
        f"{label}: lateness over {len(late)} of 10,000 timers due within {spread:.0f} s: "
        f"p50 {statistics.median(late) * 1000:.0f} ms, p99 {pct(late, 0.99) * 1000:.0f} ms, "
        f"max {max(late) * 1000:.0f} ms"
    )

    # 2. idle CPU with 10,000 pending an hour away (and nothing else left over)
    with app.sessions.begin() as session:
        timers.cancel(key_prefix="late-", now=datetime.now(UTC), session=session)
    later = datetime.now(UTC) + timedelta(hours=1)
    seed(app, 10_000, 1_000, [later] * 10_000, "idle")
    cpu0, wall0 = time.process_time(), time.time()
    asyncio.run(run_worker(app, StampChat(), until=time.time() + 20))
    cpu = time.process_time() - cpu0
    wall = time.time() - wall0
    print(f"{label}: idle with 10,000 pending: {100 * cpu / wall:.2f}% of a core over {wall:.0f} s")

    # 3. 1,000 overdue at start-up
    with app.sessions.begin() as session:
        timers.cancel(key_prefix="idle-", now=datetime.now(UTC), session=session)
    past = datetime.now(UTC) - timedelta(minutes=5)
    dues = seed(app, 1_000, 100, [past] * 1_000, "over")
    chat = StampChat()

    async def catch_up() -> float:
        runtime = Runtime(app, {"shell": chat})
        worker = TimerWorker(app, runtime.deliver)
        began = time.perf_counter()
        while await worker.tick():
            pass
        return time.perf_counter() - began

    took = asyncio.run(catch_up())
    print(
        f"{label}: 1,000 overdue timers fired in {took:.2f} s after start"
        f" ({len(chat.arrived)} posted)"
    )
    app.sessions.kw["bind"].dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--spread", type=float, default=60.0, help="seconds over which 10,000 come due"
    )
    parser.add_argument("--pg", help="also run on this PostgreSQL server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench(f"sqlite:///{tmp}/timers.db", "sqlite", args.spread)
    if args.pg:
        admin = args.pg.replace("+psycopg", "")
        name = f"warroom_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            bench(args.pg.rsplit("/", 1)[0] + f"/{name}", "postgresql", args.spread)
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
