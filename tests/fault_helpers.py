"""Faults on demand, for tests/test_faults*.py and bench/chaos.py: the database made to refuse
every connection (PostgreSQL) or locked exclusively (SQLite) for a while, and a `warroom shell`
whose output lines are stamped with the time they arrived."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

PG_ADMIN = os.environ.get("WARROOM_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@contextlib.contextmanager
def database_away(url: str) -> Iterator[None]:
    """While the block runs, the database at `url` answers nobody: on PostgreSQL it refuses
    new connections and its open ones are terminated; an SQLite file is locked exclusively."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        conn = sqlite3.connect(str(parsed.database), isolation_level=None, timeout=30)
        try:
            conn.execute("BEGIN EXCLUSIVE")
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    name = parsed.database
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        try:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            yield
        finally:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


class Stamped:
    """A subprocess's stdout, line by line, each with the monotonic time it arrived."""

    def __init__(self, proc: subprocess.Popen[str], stderr: Path) -> None:
        assert proc.stdout is not None
        self.proc = proc
        self.stderr = stderr
        self.lines: list[tuple[float, str]] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def wait_for(self, text: str, timeout: float = 30) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, line in list(self.lines):
                if text in line:
                    return at
            time.sleep(0.01)
        raise AssertionError(f"no line with {text!r} in {timeout} s: {self.lines}")

    def send(self, *lines: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("".join(f"{line}\n" for line in lines))
        self.proc.stdin.flush()

    def finish(self, timeout: float = 60) -> tuple[int, str]:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=timeout)
        self._thread.join(timeout=5)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        return self.proc.returncode, self.stderr.read_text()

    def said(self, text: str) -> list[float]:
        """When each line containing `text` arrived."""
        return [at for at, line in self.lines if text in line]


def start_stamped(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Stamped:
    """`warroom ARGS` (a shell) with stdin a pipe and stdout stamped; stderr to a file."""
    from helpers import start_warroom

    err = tmp_path / f"stderr-{time.monotonic_ns()}.txt"
    with err.open("w") as sink:
        proc = start_warroom(*args, tmp_path=tmp_path, env=env, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=sink, text=True, bufsize=1)  # fmt: skip
    return Stamped(proc, err)


def sqlite_path(url: str) -> Path:
    return Path(str(make_url(url).database))


# Two replicas, one killed mid-batch -----------------------------------------------------------


def schedule_reminders(url: str, n: int, *, spread: float, channels: int = 10) -> float:
    """`n` message reminders `timer tI-J` in `channels` incidents, due from now over `spread`
    seconds; returns the wall time of the first due."""
    from datetime import UTC, datetime, timedelta

    from warroom.core import incident as core
    from warroom.store import db, timers
    from warroom.store import incidents as repo

    sessions = db.connect(url)
    now = datetime.now(UTC)
    per = max(1, n // channels)
    with sessions.begin() as session:
        for i in range(channels):
            incident, _ = core.start(platform="shell", channel=f"c{i}", summary=f"s{i}",
                                     imoc="imoc", reporter="r", now=now)  # fmt: skip
            incident = repo.add(incident, session=session)
            for j in range(per):
                k = i * per + j
                timers.schedule(
                    key=f"t{i}-{j}", kind="reminder",
                    due_at=now + timedelta(seconds=spread * k / max(1, n - 1)),
                    platform="shell", incident_id=incident.id, now=now, session=session,
                    payload={"command": "message", "message": f"timer t{i}-{j} due {k}",
                             "team": None, "every": None, "index": 0, "occurrence": 1,
                             "stop": False},
                )  # fmt: skip
    sessions.kw["bind"].dispose()
    return now.timestamp()


def read_posts(paths: list[Path]) -> dict[str, list[float]]:
    """timer key -> the wall times it was posted, from replica_proc.py's OUT files."""
    import re

    posts: dict[str, list[float]] = {}
    for path in paths:
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            at, _, text = line.partition(" ")
            for key in re.findall(r"timer (t\d+-\d+) due", text):
                posts.setdefault(key, []).append(float(at))
    return posts


def start_replica(url: str, out: Path, post_ms: float) -> subprocess.Popen[str]:
    import sys

    script = Path(__file__).parent / "replica_proc.py"
    proc = subprocess.Popen([sys.executable, str(script), url, str(out), str(post_ms)],
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout is not None
    assert "ready" in proc.stdout.readline()
    return proc


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def kill_one_replica(url: str, tmp_path: Path, *, n: int = 400, spread: float = 3.0,
                     kill_at: float = 1.5, post_ms: float = 5) -> dict[str, float]:  # fmt: skip
    """Two replicas fire `n` reminders due over `spread` s; the first is killed -9 `kill_at` s
    in. Figures: lost, posted twice, each timer's lateness after its due time or the kill."""
    import signal

    from sqlalchemy import func, select

    from warroom.store import db
    from warroom.store.tables import OutboxRow, TimerRow

    outs = [tmp_path / f"replica{i}.txt" for i in range(2)]
    procs = [start_replica(url, out, post_ms) for out in outs]
    first_due = schedule_reminders(url, n, spread=spread)
    try:
        time.sleep(max(0.0, first_due + kill_at - time.time()))
        procs[0].send_signal(signal.SIGKILL)
        killed_at = time.time()
        procs[0].wait()
        sessions = db.connect(url)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with sessions() as session:
                left = session.scalar(select(func.count()).select_from(TimerRow)
                                      .where(TimerRow.fired_at.is_(None)))  # fmt: skip
                undelivered = session.scalar(select(func.count()).select_from(OutboxRow)
                                             .where(OutboxRow.delivered_at.is_(None)))  # fmt: skip
            if not left and not undelivered:
                break
            time.sleep(0.05)
        sessions.kw["bind"].dispose()
        time.sleep(0.2)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)
            if proc.stdout is not None:
                proc.stdout.close()
    posts = read_posts(outs)
    per = max(1, n // 10)
    dues = {
        f"t{i}-{j}": first_due + spread * (i * per + j) / max(1, n - 1)
        for i in range(10)
        for j in range(per)
    }
    later = [min(posts[key]) - due for key, due in dues.items() if key in posts and due > killed_at]
    taken_over = [
        min(posts[key]) - killed_at
        for key, due in dues.items()
        if key in posts and due <= killed_at and min(posts[key]) > killed_at
    ]
    return {
        "timers": float(len(dues)),
        "lost": float(sum(1 for key in dues if key not in posts)),
        "posted_twice": float(sum(1 for key in dues if len(posts.get(key, [])) > 1)),
        "taken_over": float(len(taken_over)),
        "takeover_p99": round(percentile(taken_over, 99), 2),
        "takeover_max": round(max(taken_over, default=0.0), 2),
        "due_after_kill_late_max": round(max(later, default=0.0), 2),
    }
