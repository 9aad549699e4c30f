"""A plugin command's round trip against the plugin's own run time.

    .venv/bin/python bench/plugins.py                 # SQLite, 300 runs
    .venv/bin/python bench/plugins.py --runs 500 --db postgresql+psycopg://postgres@127.0.0.1/test

The plugin is the smallest one the contract allows (sh: read stdin, print one message line),
so its own time is mostly the fork and exec. Measured:
- own: the plugin run alone (`subprocess.run` with the same document on stdin, to its exit);
- round trip: a message in (`Runtime.on_message`) → parsed → the `RunPlugin` promise committed
  → the plugin run in the background under its limits → the outcome recorded (one transaction)
  → its message posted on the chat (a FakeChat that signals the post).
The overhead (round trip minus own, at p50 and at p99) has a target of < 30 ms. Prints ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from warroom.app.service import App
from warroom.config import Settings
from warroom.config.plugins import PluginConfig
from warroom.core.doc import Doc
from warroom.plugins import Plugins
from warroom.ports import ChatMessage
from warroom.store.db import connect
from warroom.testing import FakeChat
from warroom.wiring import build_runtime

PLUGIN = """#!/bin/sh
if [ "$1" = describe ]; then
  echo '{"name": "pong", "contract": 1,'
  echo ' "commands": [{"words": ["ping"], "usage": "ping", "help": "Pong."}]}'
  exit 0
fi
cat > /dev/null
echo '{"type": "message", "text": "pong"}'
"""


class SignallingChat(FakeChat):
    def __init__(self) -> None:
        super().__init__("shell")
        self.posted = asyncio.Event()

    async def post(
        self, *, channel: str, doc: Doc, thread: str | None = None, only_to: str | None = None
    ) -> str | None:
        ref = await super().post(channel=channel, doc=doc, thread=thread, only_to=only_to)
        self.posted.set()
        return ref


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def own_times(script: Path, runs: int) -> list[float]:
    doc = json.dumps({"contract": 1, "type": "command", "command": "ping", "args": []}).encode()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([str(script)], input=doc, capture_output=True, check=True, env={})
        times.append(time.perf_counter() - start)
    return times


async def round_trips(url: str, script: Path, reports: Path, runs: int) -> list[float]:
    settings = Settings.model_validate({"reports": {"dir": str(reports)}, "reminders": []})
    settings.plugins.enabled = {"pong": PluginConfig(command=[str(script)])}
    app = App(sessions=connect(url), settings=settings)
    chat = SignallingChat()
    runtime = build_runtime(app, {"shell": chat}, timers=False)
    plugins = await Plugins.start(settings)
    plugins.attach(app, runtime)
    await runtime.start()
    times = []
    try:
        for n in range(runs):
            chat.posted.clear()
            msg = ChatMessage(
                platform="shell", user="alice", channel="war-room", text="warroom ping",
                is_dm=False, ref=f"r{n}", event_id=f"e{n}",
            )  # fmt: skip
            start = time.perf_counter()
            await runtime.on_message(msg)
            await chat.posted.wait()
            times.append(time.perf_counter() - start)
            assert "pong" == chat.sent[-1].text, chat.sent[-1]  # the plugin's answer, no error
            await runtime.wait_idle()  # marks flushed between runs, not timed
    finally:
        await runtime.stop()
        plugins.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--db", help="database URL (default: a new SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "pong.sh"
        script.write_text(PLUGIN)
        script.chmod(0o755)
        url = args.db or f"sqlite:///{tmp}/bench.db"
        own = own_times(script, args.runs)
        trips = asyncio.run(round_trips(url, script, Path(tmp) / "reports", args.runs))
    ms = 1000.0
    rows = [
        ("plugin alone", pct(own, 0.5) * ms, pct(own, 0.99) * ms),
        ("round trip", pct(trips, 0.5) * ms, pct(trips, 0.99) * ms),
    ]
    for name, p50, p99 in rows:
        print(f"{name:14} p50 {p50:6.1f} ms   p99 {p99:6.1f} ms")
    p50, p99 = rows[1][1] - rows[0][1], rows[1][2] - rows[0][2]
    print(
        f"{'overhead':14} p50 {p50:6.1f} ms   p99 {p99:6.1f} ms"
        f"   (mean {(statistics.mean(trips) - statistics.mean(own)) * ms:.1f} ms; target < 30 ms)"
    )


if __name__ == "__main__":
    main()
