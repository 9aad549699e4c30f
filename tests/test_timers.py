"""Durable timers across processes: restarts, kill -9, and two workers on one database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from helpers import start_warroom
from warroom.core import incident as core
from warroom.store import db, timers
from warroom.store import incidents as repo
from warroom.store.tables import OutboxRow, TimerRow

pytestmark = pytest.mark.slow

CONFIG = """
bot: {name: warroom}
teams: {support: {channel: support}}
reminders:
  - when: [1, stop]
    message: first reminder
  - when: 3
    message: third-second reminder
  - when: stop
    message: Please create a Service Disruptions report.
"""


def start_shell(tmp_path: Path, db_url: str) -> subprocess.Popen[str]:
    config = tmp_path / "c.yml"
    config.write_text(CONFIG)
    return start_warroom(
        "shell", "--db", db_url, "--config", str(config), "--user", "daniella", tmp_path=tmp_path,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def run_shell(tmp_path: Path, db_url: str, script: list[str]) -> str:
    proc = start_shell(tmp_path, db_url)
    out, err = proc.communicate("\n".join(script) + "\n", timeout=60)
    assert 0 == proc.returncode, err
    return out


def test_reminders_with_second_offsets_in_a_scripted_shell(tmp_path: Path) -> None:
    out = run_shell(
        tmp_path,
        f"sqlite:///{tmp_path / 'w.db'}",
        ["warroom incident start me checkout is down", "/sleep 1.6", "warroom incident stop"],
    )
    lines = out.splitlines()
    assert 2 == lines.count("[#war-room] warroom: 🔔 @daniella, first reminder"), (
        out
    )  # 1 s and stop
    assert "[#war-room] warroom: 🔔 @daniella, please create a Service Disruptions report." in lines
    assert not any("third-second" in line for line in lines)  # cancelled by the stop
    stop_at = lines.index("[#war-room] topic cleared")
    assert lines.index("[#war-room] warroom: 🔔 @daniella, first reminder") < stop_at


def test_kill_9_with_timers_pending_then_restart_each_fires_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    proc = start_shell(tmp_path, url)
    assert proc.stdin is not None
    assert proc.stdout is not None
    proc.stdin.write("warroom incident start me checkout is down\n")
    proc.stdin.flush()
    seen = []
    deadline = time.monotonic() + 30
    while "first reminder" not in "".join(seen):  # the 1 s reminder, from this process
        assert time.monotonic() < deadline, seen
        seen.append(proc.stdout.readline())
    # Kill once its delivery is recorded: this test is about timers. (Dying between posting
    # and recording is the outbox's at-least-once window, see docs/architecture.md.)
    sessions = db.connect(url)
    while True:
        with sessions() as session:
            if not session.scalar(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.delivered_at.is_(None))
            ):
                break
        assert time.monotonic() < deadline
        time.sleep(0.02)
    sessions.kw["bind"].dispose()
    os.kill(proc.pid, signal.SIGKILL)  # the 3 s reminder is pending
    proc.wait()
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()
    time.sleep(3)
    out = run_shell(tmp_path, url, ["/sleep 0.5"])
    assert 1 == out.count("third-second reminder"), out  # overdue: fired on start-up, once
    assert 0 == out.count("first reminder"), out  # already fired before the kill
    again = run_shell(tmp_path, url, ["/sleep 0.5"])
    assert "" == again


@pytest.mark.postgres
def test_two_processes_sharing_1000_timers_fire_each_once(pg_url: str, tmp_path: Path) -> None:
    sessions = db.connect(pg_url)
    now = datetime.now(UTC)
    with sessions.begin() as session:
        for i in range(10):
            incident, _ = core.start(
                platform="shell",
                channel=f"c{i}",
                summary=f"s{i}",
                imoc="imoc",
                reporter="r",
                now=now,
            )
            incident = repo.add(incident, session=session)
            for j in range(100):
                timers.schedule(
                    key=f"t{i}-{j}", kind="reminder", due_at=now - timedelta(seconds=1),
                    platform="shell", incident_id=incident.id, now=now, session=session,
                    payload={"command": "message", "message": f"timer t{i}-{j}", "team": None,
                             "every": None, "index": 0, "occurrence": 1, "stop": False},
                )  # fmt: skip
    worker = str(Path(__file__).parent / "timer_proc.py")
    procs = [
        subprocess.Popen([sys.executable, worker, pg_url, str(tmp_path / f"out{n}.txt")])
        for n in range(2)
    ]
    for proc in procs:
        assert 0 == proc.wait(timeout=120)
    posts = [
        line
        for n in range(2)
        for line in (tmp_path / f"out{n}.txt").read_text().splitlines()
        if "timer t" in line
    ]
    keys = sorted(line.rsplit("timer ", 1)[1] for line in posts)
    assert sorted(f"t{i}-{j}" for i in range(10) for j in range(100)) == keys  # each exactly once
    with sessions() as session:
        assert 0 == session.scalar(
            select(func.count()).select_from(TimerRow).where(TimerRow.fired_at.is_(None))
        )
    sessions.kw["bind"].dispose()
