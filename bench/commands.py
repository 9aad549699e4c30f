"""Time per command through the app layer, with 1,000 stopped and 50 active incidents stored.

    .venv/bin/python bench/commands.py            # SQLite, and PostgreSQL when reachable
    .venv/bin/python bench/commands.py --runs 500 --pg postgresql+psycopg://postgres@127.0.0.1/test

Prints p50/p99 in milliseconds and the mean CPU time per command (start, note, tldr, help,
help+id: `help` with an event ID as Slack sends it, stop) and the start-up time of
`warroom shell` until it answers its first line. Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, text

from warroom.app.service import App
from warroom.config import Settings
from warroom.ports import ChatMessage
from warroom.store.db import connect


def msg(text: str, channel: str, user: str = "alice", event_id: str | None = None) -> ChatMessage:
    return ChatMessage(platform="shell", user=user, channel=channel, text=text, event_id=event_id)


def seed(app: App, stopped: int, active: int) -> None:
    for i in range(stopped):
        channel = f"old-{i}"
        app.handle_message(msg(f"warroom incident start me outage number {i}", channel))
        for j in range(5):
            app.handle_message(msg(f"warroom incident note note {j} of incident {i}", channel))
        app.handle_message(msg("warroom incident stop", channel))
    for i in range(active):
        channel = f"active-{i}"
        app.handle_message(msg(f"warroom incident start me ongoing outage {i}", channel))
        for j in range(5):
            app.handle_message(msg(f"warroom incident note note {j}", channel))


def timed(app: App, message: ChatMessage, cpu: list[float] | None = None) -> float:
    started = time.perf_counter()
    cpu_started = time.process_time()
    deliveries = app.handle_message(message)
    elapsed = (time.perf_counter() - started) * 1000
    if cpu is not None:
        cpu.append((time.process_time() - cpu_started) * 1000)
    assert deliveries, message.text
    return elapsed


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench(url: str, runs: int, label: str, reports: Path) -> None:
    settings = Settings()
    settings.reports.dir = reports
    app = App(sessions=connect(url), settings=settings)
    t0 = time.perf_counter()
    seed(app, stopped=1000, active=50)
    print(
        f"{label}: seeded 1,000 stopped + 50 active incidents in {time.perf_counter() - t0:.1f} s"
    )
    names = ("start", "note", "tldr", "help", "help+id", "stop")
    times: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}

    def run(name: str, text: str, channel: str, event_id: str | None = None) -> None:
        times[name].append(timed(app, msg(text, channel, event_id=event_id), cpu[name]))

    for i in range(runs):
        channel = f"bench-{uuid.uuid4().hex[:8]}"
        run("start", f"warroom incident start me bench {i}", channel)
        run("note", "warroom incident note something noteworthy", channel)
        run("tldr", "warroom incident tldr", channel)
        run("help", "warroom help", channel)
        run("help+id", "warroom help", channel, event_id=f"slack:{channel}:{i}")  # as Slack sends
        run("stop", "warroom incident stop", channel)
    for name, values in times.items():
        print(
            f"{label}: {name:7s} p50 {statistics.median(values):6.2f} ms"
            f"  p99 {pct(values, 0.99):6.2f} ms"
            f"  CPU mean {statistics.fmean(cpu[name]):5.2f} ms  (n={len(values)})"
        )
    app.sessions.kw["bind"].dispose()


def settle(db: str) -> None:
    """Mark as done what a running bot would have done by now.

    The seeding calls the app layer directly, so its replies were never delivered and the
    active incidents' reminders are pending; a shell started on that database would first
    deliver thousands of messages (as it should after a crash). The start-up figure is for
    a bot that has nothing left over.
    """
    engine = create_engine(db)
    with engine.begin() as conn:
        conn.execute(text("UPDATE outbox SET delivered_at = CURRENT_TIMESTAMP"))
        conn.execute(text("UPDATE timers SET cancelled_at = CURRENT_TIMESTAMP"))
    engine.dispose()


def startup(db: str, runs: int = 10) -> None:
    """Time from exec to the answer of one tiny command (`warroom incidents`)."""
    settle(db)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "warroom", "shell", "--db", db, "--user", "alice"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert proc.stdin
        assert proc.stdout
        proc.stdin.write("warroom incidents\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        samples.append(time.perf_counter() - started)
        assert "active:" in line, f"not the answer to `warroom incidents`: {line!r}"
        proc.communicate()  # closes stdin, drains stdout: the shell exits at end of input
    print(
        f"shell start-up to first answer: median {statistics.median(samples) * 1000:.0f} ms,"
        f" max {max(samples) * 1000:.0f} ms (n={runs})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = f"sqlite:///{tmp}/bench.db"
        bench(sqlite, args.runs, "sqlite", Path(tmp) / "reports")
        startup(sqlite)
        admin = args.pg.replace("+psycopg", "")
        name = f"warroom_bench_{uuid.uuid4().hex[:8]}"
        try:
            with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.Error as exc:
            print(f"postgresql: skipped ({exc})")
            return
        try:
            bench(args.pg.rsplit("/", 1)[0] + f"/{name}", args.runs, "postgresql", Path(tmp) / "r2")
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
