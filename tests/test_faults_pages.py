"""Simultaneous pages are fair: picks are serialised per rotation (an advisory lock on
PostgreSQL, the single writer on SQLite), so 30 devoncalls at once, from one process or two,
ping everyone a number of times that differs by at most one."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from helpers import MakeConversation
from warroom.app.roster import parse_csv
from warroom.app.service import App
from warroom.config import Settings
from warroom.ports import ChatMessage

ROSTER = """handle,name,email,tz,country,manager
alice,Alice A,alice@example.com,UTC,NL,no
bob,Bob B,bob@example.com,UTC,US,no
carol,Carol C,carol@example.com,UTC,DE,no
dave,Dave D,dave@example.com,UTC,DE,no
erin,Erin E,erin@example.com,UTC,US,yes
"""
PING = re.compile(r"📟 @(\w+) you're on call")


def test_30_simultaneous_devoncalls_in_one_process_are_fair(
    app: App, make_conversation: MakeConversation
) -> None:
    app.import_roster(parse_csv(ROSTER), replace=False)
    conv = make_conversation(app)

    async def burst() -> None:
        await asyncio.gather(
            *(
                conv.runtime.on_message(
                    ChatMessage(
                        platform="shell",
                        user="zed",
                        channel="war-room",
                        text=f"devoncall page {i}",
                        ref=f"m{i}",
                    )
                )
                for i in range(30)
            )
        )
        await conv.runtime.wait_idle()

    conv.loop.run_until_complete(burst())
    pings = Counter(m for line in conv.chat.lines() for m in PING.findall(line))
    assert 30 == sum(pings.values()), pings
    assert {"alice", "bob", "carol", "dave"} == set(pings)
    assert max(pings.values()) - min(pings.values()) <= 1, pings


@pytest.mark.slow
@pytest.mark.postgres
def test_30_simultaneous_devoncalls_from_two_processes_are_fair(
    pg_url: str, tmp_path: Path
) -> None:
    from warroom.store.db import connect

    sessions = connect(pg_url)
    App(sessions=sessions, settings=Settings()).import_roster(parse_csv(ROSTER), replace=False)
    sessions.kw["bind"].dispose()
    script = str(Path(__file__).parent / "pages_proc.py")
    procs = [
        subprocess.Popen(
            [sys.executable, script, pg_url, "15"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for proc in procs:
        assert proc.stdout is not None
        assert "ready" in proc.stdout.readline()
    for proc in procs:  # both at once
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    outs = [proc.communicate(timeout=120)[0] for proc in procs]
    assert [0, 0] == [proc.returncode for proc in procs]
    pings = Counter(m for out in outs for m in PING.findall(out))
    assert 30 == sum(pings.values()), (pings, outs)
    assert {"alice", "bob", "carol", "dave"} == set(pings)
    assert max(pings.values()) - min(pings.values()) <= 1, pings
