"""Chaos runs against warroom; the figures go to docs/reliability.md.

    .venv/bin/python bench/chaos.py kill9 --trials 50            # SQLite, then PostgreSQL
    .venv/bin/python bench/chaos.py replicas --trials 10         # PostgreSQL
    .venv/bin/python bench/chaos.py blip                         # 1, 3, 5 s; both databases
    .venv/bin/python bench/chaos.py fuzz --lines 5000            # shell, both databases
    .venv/bin/python bench/chaos.py all

PostgreSQL: WARROOM_TEST_PG (default postgresql://postgres@127.0.0.1:5432/test) is the admin
connection; each run creates its own database and drops it.

kill9: a shell starts an incident whose reminders are due 1, 2 and 3 s later, and is killed -9
at a random moment in the first 3.2 s; a new shell on the same database runs 3.5 s. Counted:
reminders never posted (lost), timers left unfired in the database, reminders posted twice,
and how late after the restart the overdue ones came.
replicas: tests/fault_helpers.py `kill_one_replica`: two replicas on one PostgreSQL database
fire 400 reminders due over 3 s, one is killed -9 1 s in.
blip: tests/test_faults_db.py `blip`: the database refuses connections (PostgreSQL) or is
locked (SQLite) for 1, 3 and 5 s while reminders and an escalation are due.
fuzz: tests/fuzz_lines.py lines as raw bytes through `warroom shell`: exit code, tracebacks,
"something went wrong" answers, and runs that did not finish in 300 s (hangs).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TESTS = Path(__file__).parents[1] / "tests"
sys.path.insert(0, str(TESTS))

import psycopg  # noqa: E402

from fault_helpers import PG_ADMIN, kill_one_replica, percentile, start_stamped  # noqa: E402

REMINDERS = [{"when": [1], "message": "r-one"}, {"when": [2], "message": "r-two"},
             {"when": [3], "message": "r-three"}]  # fmt: skip
ENV = {"WARROOM_REMINDERS": json.dumps(REMINDERS)}


@contextlib.contextmanager
def pg_database() -> Iterator[str]:
    name = f"warroom_chaos_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fresh(kind: str, tmp: Path, trial: int, pg: str | None) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / f'k{trial}.db'}"
    assert pg is not None
    from sqlalchemy import text

    from warroom.store.db import open_engine, upgrade

    engine = open_engine(pg)
    upgrade(engine)
    with engine.begin() as conn:
        tables = conn.execute(
            text(
                "SELECT string_agg(tablename, ', ') FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename NOT IN ('alembic_version', 'installation')"
            )
        ).scalar_one()
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return pg


def unfired(url: str) -> int:
    from sqlalchemy import func, select

    from warroom.store import db
    from warroom.store.tables import TimerRow

    sessions = db.connect(url)
    with sessions() as session:
        left = session.scalar(
            select(func.count()).select_from(TimerRow).where(
                TimerRow.fired_at.is_(None), TimerRow.cancelled_at.is_(None),
                TimerRow.kind == "reminder",
            )
        )  # fmt: skip
    sessions.kw["bind"].dispose()
    return int(left or 0)


def kill9(kind: str, trials: int, seed: int = 9) -> dict[str, Any]:
    rng = random.Random(seed)
    lost = twice = left = posted = 0
    late: list[float] = []
    with tempfile.TemporaryDirectory() as d, contextlib.ExitStack() as stack:
        tmp = Path(d)
        pg = stack.enter_context(pg_database()) if kind == "postgres" else None
        for trial in range(trials):
            url = fresh(kind, tmp, trial, pg)
            args = ("shell", "--db", url, "--no-web", "--user", "zed")
            first = start_stamped(tmp, *args, env=ENV)
            first.send("warroom incident start me checkout is down")
            started = first.wait_for("topic: 🔥")
            time.sleep(rng.uniform(0.0, 3.2))
            first.proc.send_signal(signal.SIGKILL)
            first.proc.wait()
            if first.proc.stdin is not None:
                first.proc.stdin.close()
            time.sleep(0.2)
            second = start_stamped(tmp, *args, env=ENV)
            restarted = time.monotonic()
            second.send("/sleep 3.5")
            code, err = second.finish()
            if code != 0:
                print(f"trial {trial}: the restarted shell exited {code}: {err[-500:]}")
            for text, due in [("r-one", 1), ("r-two", 2), ("r-three", 3)]:
                times = first.said(text) + second.said(text)
                posted += 1
                lost += not times
                twice += len(times) > 1
                if times and started + due < restarted:
                    after = list(second.said(text))
                    if after and not first.said(text):
                        late.append(after[0] - restarted)
            left += unfired(url)
    return {
        "database": kind,
        "trials": trials,
        "reminders": posted,
        "lost": lost,
        "unfired_in_db": left,
        "posted_twice": twice,
        "posted_twice_pct": round(100 * twice / max(1, posted), 2),
        "late_after_restart_p50_s": round(percentile(late, 50), 2),
        "late_after_restart_max_s": round(max(late, default=0.0), 2),
    }


def replicas(trials: int) -> dict[str, Any]:
    runs = []
    with tempfile.TemporaryDirectory() as d, pg_database() as pg:
        for trial in range(trials):
            url = fresh("postgres", Path(d), trial, pg)
            out = Path(d) / f"t{trial}"
            out.mkdir()
            runs.append(kill_one_replica(url, out, n=400, spread=3.0, kill_at=1.0, post_ms=30))
    takeovers = [r["takeover_max"] for r in runs]
    return {
        "trials": trials,
        "timers": sum(int(r["timers"]) for r in runs),
        "lost": sum(int(r["lost"]) for r in runs),
        "posted_twice": sum(int(r["posted_twice"]) for r in runs),
        "takeover_p99_s": round(percentile(takeovers, 99), 2),
        "takeover_max_s": round(max(takeovers, default=0.0), 2),
        "due_after_kill_late_max_s": max(r["due_after_kill_late_max"] for r in runs),
    }


def blips() -> list[dict[str, Any]]:
    from test_faults_db import blip

    out = []
    with tempfile.TemporaryDirectory() as d, pg_database() as pg:
        for kind in ("sqlite", "postgres"):
            for seconds in (1, 3, 5):
                tmp = Path(d) / f"{kind}{seconds}"
                tmp.mkdir()
                url = f"sqlite:///{tmp / 'b.db'}" if kind == "sqlite" else fresh(kind, tmp, 0, pg)
                try:
                    figures = blip(url, tmp, seconds)
                    figures["ok"] = True
                except AssertionError as exc:
                    figures = {"seconds": seconds, "ok": False, "why": str(exc)[:300]}
                out.append({"database": kind, **figures})
    return out


def fuzz(n: int) -> list[dict[str, Any]]:
    from fuzz_lines import lines
    from helpers import warroom_command, warroom_env
    from warroom.app.runtime import FAILED

    data = b"".join(
        t.encode("utf-8", "surrogatepass").replace(b"\n", b" ").replace(b"\r", b" ") + b"\n"
        for t in lines(n, seed=42)
    )
    out = []
    with tempfile.TemporaryDirectory() as d, pg_database() as pg:
        for kind in ("sqlite", "postgres"):
            url = (
                f"sqlite:///{Path(d) / 'f.db'}" if kind == "sqlite" else fresh(kind, Path(d), 0, pg)
            )
            started = time.monotonic()
            hang = 0
            try:
                done = subprocess.run(
                    warroom_command("shell", "--db", url, "--no-web"), input=data,
                    capture_output=True, env=warroom_env(Path(d)), timeout=300, check=False,
                )  # fmt: skip
                err = done.stderr.decode("utf-8", "replace")
                code = done.returncode
                answers = done.stdout.decode("utf-8", "replace")
            except subprocess.TimeoutExpired:
                hang, code, err, answers = 1, -1, "", ""
            out.append({
                "database": kind, "lines": n, "exit": code, "hangs": hang,
                "tracebacks": err.count("Traceback"),
                "something_went_wrong": answers.count(FAILED),
                "seconds": round(time.monotonic() - started, 1),
            })  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["kill9", "replicas", "blip", "fuzz", "all"])
    parser.add_argument("--trials", type=int, default=0)
    parser.add_argument("--lines", type=int, default=5000)
    args = parser.parse_args()
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    if args.what in ("kill9", "all"):
        for kind in ("sqlite", "postgres"):
            print(json.dumps(kill9(kind, args.trials or 50)), flush=True)
    if args.what in ("replicas", "all"):
        print(json.dumps(replicas(args.trials or 10)), flush=True)
    if args.what in ("blip", "all"):
        for figures in blips():
            print(json.dumps(figures), flush=True)
    if args.what in ("fuzz", "all"):
        for figures in fuzz(args.lines):
            print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
