"""The fair rotation's pick with a 2,000-person roster: time and presence calls per pick.

    .venv/bin/python bench/rotation.py              # SQLite
    .venv/bin/python bench/rotation.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test

A pick is what follows `devoncall`: read the eligible queue, resolve presence through the cache
(a fake port that answers at once and counts calls; 30 % of people away), then claim the step,
ping and schedule the escalation in one transaction. Each page is acknowledged afterwards so
the queue keeps moving. Warm: every presence answer cached; cold: the cache emptied first.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime

import psycopg
from sqlalchemy import func, select

from warroom.app.effects import PickResponder
from warroom.app.presence import PresenceCache
from warroom.app.service import App
from warroom.config import Settings
from warroom.core.rotation import Member
from warroom.ports import ChatMessage, Reaction
from warroom.store.db import connect
from warroom.store.tables import RotationPageRow
from warroom.testing import FakePresence


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def run(url: str, *, people: int, picks: int, warm: bool) -> tuple[list[float], list[int]]:
    settings = Settings()
    app = App(sessions=connect(url), settings=settings)
    rng = random.Random(7)
    roster = [Member(handle=f"eng{i:04d}", tz="UTC") for i in range(people)]
    app.import_roster(roster, replace=True)
    fake = FakePresence()
    for m in roster:
        if rng.random() < 0.3:
            fake.set(m.handle, "away")
    cache = PresenceCache(fake, ttl=3600, max_calls=5, now=lambda: datetime.now(UTC))
    if warm:
        for m in roster:
            cache.remember(m.handle, await fake.presence(user=m.handle))
    times: list[float] = []
    calls: list[int] = []
    for n in range(picks):
        if not warm:
            cache = PresenceCache(fake, ttl=3600, max_calls=5, now=lambda: datetime.now(UTC))
        msg = ChatMessage("shell", "bench", "oncall", f"devoncall page {n}", ref=f"t{n}")
        app.handle_message(msg)
        with app.sessions() as session:
            page_id = int(session.scalar(select(func.max(RotationPageRow.id))) or 0)
        effect = PickResponder(page_id, 1)
        before = fake.calls
        start = time.perf_counter()
        handles = app.rotation_candidates(effect)
        found = await cache.resolve(handles)
        app.rotation_presence(effect, "shell", found.statuses)
        times.append((time.perf_counter() - start) * 1000)
        calls.append(fake.calls - before)
        if found.active:
            app.handle_reaction(Reaction("shell", found.active, "oncall", "eyes", f"t{n}"))
    app.sessions.kw["bind"].dispose()
    return times, calls


def report(name: str, times: list[float], calls: list[int]) -> None:
    print(
        f"{name}: pick p50 {statistics.median(times):.2f} ms, p99 {percentile(times, 99):.2f} ms,"
        f" max {max(times):.2f} ms; presence calls per pick: mean "
        f"{statistics.mean(calls):.2f}, max {max(calls)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", help="PostgreSQL admin URL (a scratch database is made)")
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--picks", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for warm in (True, False):
            url = f"sqlite:///{tmp}/bench-{warm}.db"
            times, calls = asyncio.run(run(url, people=args.people, picks=args.picks, warm=warm))
            report(f"SQLite, {'warm' if warm else 'cold'} cache", times, calls)
    if args.pg:
        admin = args.pg.replace("postgresql+psycopg://", "postgresql://")
        name = f"warroom_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            base = args.pg.rsplit("/", 1)[0]
            times, calls = asyncio.run(
                run(f"{base}/{name}", people=args.people, picks=args.picks, warm=True)
            )
            report("PostgreSQL, warm cache", times, calls)
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
