"""Service levels at scale: 50 services × 30 days of 30-second probes and 1,000 incidents.

    .venv/bin/python bench/slo.py            # SQLite
    .venv/bin/python bench/slo.py --db postgresql+psycopg://postgres@127.0.0.1/test
    .venv/bin/python bench/slo.py --runs 300 --no-freeze --gc   # without the bot's gc.freeze,
                                                                # and what full collections cost

Measures `slo` (every service's availability, budget and SLA over 30 days: the app's
`levels` + the words, and the whole chat command through `App.handle_message`; target < 50 ms),
`slo <service>`, one probe round (50 services' samples recorded), and the probe storage per
service-year. Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from warroom.app import slo
from warroom.app.service import App
from warroom.config import Settings
from warroom.ports import ChatMessage
from warroom.render.slo import overview
from warroom.store import slo as store
from warroom.store.db import connect
from warroom.store.tables import ImpactRow, IncidentRow, SloMinutesRow
from warroom.testing import FixedClock
from warroom.wiring import settle_heap

SERVICES = 50
DAYS = 30
INCIDENTS = 1_000
NOW = datetime(2026, 12, 1, 12, 0, 30, tzinfo=UTC)


def settings_for(reports: Path) -> Settings:
    names = [f"svc{i:02d}" for i in range(SERVICES)]
    return Settings.model_validate(
        {
            "reports": {"dir": str(reports)},
            "reminders": [],
            "status": {
                "sources": [
                    {"name": f"{n}-health", "url": f"http://127.0.0.1:9/{n}"} for n in names
                ]
            },
            "services": {
                n: {"objective": 99.9, "window": "30d", "sla": 99.0, "probes": [f"{n}-health"]}
                for n in names
            },
        }
    )


def seed(app: App, settings: Settings, rng: random.Random) -> None:
    """Probe days as the probe timers leave them (2 samples a minute, 0.2% failed, 1% of the
    minutes missing), and 1,000 incidents with impacts (30% partial)."""
    names = sorted(settings.services)
    first_day, _ = store.day_of(NOW - timedelta(days=DAYS))
    last_day, _ = store.day_of(NOW)
    rows = []
    for name in names:
        for day in range(first_day, last_day + 1):
            total = bytearray(b"\x02" * store.MINUTES)
            good = bytearray(b"\x02" * store.MINUTES)
            for minute in rng.sample(range(store.MINUTES), 14):
                total[minute] = good[minute] = 0
            for minute in rng.sample(range(store.MINUTES), 6):
                good[minute] = min(good[minute], 1)
            rows.append(
                {
                    "service": name, "day": day, "good": bytes(good), "total": bytes(total),
                    "good_sum": sum(good), "total_sum": sum(total),
                    "known": store.MINUTES - total.count(0),
                }
            )  # fmt: skip
    incidents, impacts = [], []
    for i in range(1, INCIDENTS + 1):
        start = NOW - timedelta(minutes=rng.uniform(10, DAYS * 1440))
        end = start + timedelta(minutes=rng.uniform(1, 90))
        incidents.append(
            {
                "id": i, "platform": "shell", "channel": f"inc-{i}", "summary": f"incident {i}",
                "reporter": "bench", "imoc": "bench", "srm": None, "started_at": start,
                "failures_started_at": start, "mitigated_at": min(end, NOW),
                "stopped_at": min(end, NOW),
            }
        )  # fmt: skip
        impacts.append(
            {
                "incident_id": i, "service": rng.choice(names),
                "level": "partial" if rng.random() < 0.3 else "full", "set_at": start,
            }
        )  # fmt: skip
    with app.uow.sessions() as session, session.begin():
        session.execute(insert(SloMinutesRow), rows)
        session.execute(insert(IncidentRow), incidents)
        session.execute(insert(ImpactRow), impacts)


def timed(work: object, runs: int) -> list[float]:
    assert callable(work)
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        work()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def full_collections(work: object, runs: int, slow_ms: float = 35.0) -> str:
    """Run `work` `runs` times watching the garbage collector (`gc.callbacks`): of the runs
    slower than `slow_ms`, how many had a full (generation 2) collection in them, how long."""
    assert callable(work)
    pauses: list[float] = []
    started: list[float] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        if info["generation"] == 2:
            if phase == "start":
                started.append(time.perf_counter())
            elif started:
                pauses.append((time.perf_counter() - started.pop()) * 1000)

    gc.callbacks.append(watch)
    slow, with_gc, lengths = 0, 0, []
    try:
        for _ in range(runs):
            before = len(pauses)
            t0 = time.perf_counter()
            work()
            if (time.perf_counter() - t0) * 1000 > slow_ms:
                slow += 1
                if len(pauses) > before:
                    with_gc += 1
                    lengths += pauses[before:]
    finally:
        gc.callbacks.remove(watch)
    spans = f", each {min(lengths):.0f}–{max(lengths):.0f} ms" if lengths else ""
    return (
        f"slo (the chat command), {runs} more runs: {slow} over {slow_ms:g} ms, {with_gc} of "
        f"them with a full collection{spans}; {len(pauses)} full collections in all"
    )


def figures(name: str, samples: list[float]) -> str:
    samples = sorted(samples)
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return (
        f"{name}: p50 {statistics.median(samples):.1f} ms, p99 {p99:.1f} ms, "
        f"max {samples[-1]:.1f} ms"
    )


def storage(app: App, url: str) -> None:
    """The probe rows' size as seeded (before the probe rounds rewrite today's rows)."""
    with app.uow.sessions() as session:
        rows = session.execute(text("SELECT COUNT(*) FROM slo_minutes")).scalar_one()
        if url.startswith("sqlite"):
            size = session.execute(
                text("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE '%slo_minutes%'")
            ).scalar()
        else:
            size = session.execute(text("SELECT pg_total_relation_size('slo_minutes')")).scalar()
    if size:
        per_row = size / rows
        print(f"probe storage: {rows} service-days, {size / 1e6:.1f} MB, {per_row:.0f} B a "
              f"service-day, {per_row * 365 / 1e6:.2f} MB a service-year")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", help="database URL (default: a new SQLite file)")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument(
        "--gc", action="store_true", help="also: which slow runs had a full collection in them"
    )
    parser.add_argument(
        "--no-freeze", action="store_true", help="skip `settle_heap` (gc.freeze), to compare"
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    url = args.db or f"sqlite:///{tmp / 'bench.db'}"
    settings = settings_for(tmp / "reports")
    settings.storage.url = url
    sessions = connect(url)
    app = App(sessions=sessions, settings=settings, clock=FixedClock(NOW))
    with app.uow.sessions() as session, session.begin():
        tables = (
            "incident_impacts, slo_minutes, slo_alerts, action_items, events, reports, incidents"
        )
        if url.startswith("sqlite"):
            for table in tables.split(", "):
                session.execute(text(f"DELETE FROM {table}"))
        else:  # TRUNCATE: earlier runs' dead rows would count in the storage figure
            session.execute(text(f"TRUNCATE {tables} CASCADE"))
    seed(app, settings, random.Random(16))
    storage(app, url)

    def levels() -> None:
        with app.uow.sessions() as session:
            found, _ = slo.levels(settings, NOW, session=session)
            overview(found)

    def chat() -> None:
        app.handle_message(ChatMessage("shell", "ana", "general", "warroom slo"))

    def one() -> None:
        with app.uow.sessions() as session:
            slo.detail(settings, "svc07", NOW, session=session)

    def probe_round() -> None:
        with app.uow.sessions() as session, session.begin():
            store.record(dict.fromkeys(settings.services, (1, 1)), NOW, session=session)

    kind = url.split(":")[0]
    print(f"{SERVICES} services × {DAYS} days of 30 s probes, {INCIDENTS} incidents, {kind}")
    for _ in range(3):
        levels()
        chat()
    if not args.no_freeze:
        settle_heap()  # as the bot does once it is up
    print(figures("slo (levels + words)", timed(levels, args.runs)))
    print(figures("slo (the chat command)", timed(chat, args.runs)))
    if args.gc:
        print(full_collections(chat, args.runs))
    print(figures("slo svc07 (detail + burn rates)", timed(one, args.runs)))
    print(figures("one probe round (50 services)", timed(probe_round, args.runs)))


if __name__ == "__main__":
    main()
