"""Paging latency: from `!ir page` to the provider receiving the alert, and `!ir` answered from
the on-call cache while the provider is down.

    .venv/bin/python bench/paging.py            # SQLite
    .venv/bin/python bench/paging.py --runs 500 --db postgresql+psycopg://postgres@127.0.0.1/test

The provider is the fake Opsgenie server (real HTTP on 127.0.0.1, answering at once), so the
first figure is warroom's own share: parse, transaction, outbox, commit, delivery, HTTP request.
Prints p50/p99 in milliseconds. Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from warroom.app.service import App
from warroom.config import Settings
from warroom.ports import ChatMessage
from warroom.providers.opsgenie import OpsgeniePager
from warroom.store.db import connect
from warroom.testing import FakeChat
from warroom.testing.vendors import FakeOpsgenie
from warroom.wiring import build_runtime

KEY = "bench-key"


def settings_for(reports: Path) -> Settings:
    return Settings.model_validate(
        {
            "reports": {"dir": str(reports)},
            "oncall": {
                "people": {"alice": {"name": "Alice", "phone": "+1 555 0100",
                                     "email": "alice@example.com"}},
                "commanders": {"provider": "opsgenie", "primary": "IMOC Primary",
                               "backup": "IMOC Backup"},
            },
            "paging": {"timeout_seconds": 0.5, "retries": 0, "war_rooms": False},
        }
    )  # fmt: skip


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(label: str, values: list[float]) -> None:
    print(
        f"{label}: p50 {statistics.median(values):6.2f} ms  p99 {pct(values, 0.99):6.2f} ms"
        f"  (n={len(values)})"
    )


async def run(url: str, runs: int, reports: Path) -> None:
    app = App(sessions=connect(url), settings=settings_for(reports))
    fake = FakeOpsgenie(key=KEY)
    fake.schedule("IMOC Primary", fake.user("alice@example.com", "Alice", "1-5550100"))
    fake.schedule("IMOC Backup", fake.user("bob@example.com", "Bob", "1-5550101"))
    pager = OpsgeniePager(api_url=fake.url, api_key=KEY, timeout=5)
    chat = FakeChat()
    runtime = build_runtime(app, {"shell": chat}, pagers={"opsgenie": pager})
    await runtime.refresh_oncall()

    to_alert: list[float] = []
    for i in range(runs):
        channel = f"bench-{uuid.uuid4().hex[:8]}"
        before = len(fake.calls("POST", "/v2/alerts"))
        msg = ChatMessage("shell", "zoe", channel, f"!ir page bench outage {i}")
        started = time.perf_counter()
        await runtime.on_message(msg)
        await runtime.wait_idle()
        posts = fake.calls("POST", "/v2/alerts")
        assert len(posts) == before + 1, "the alert did not arrive"
        to_alert.append((posts[-1].at - started) * 1000)
    report("!ir page -> provider receives the alert", to_alert)

    fake.close()  # the provider is down from here on
    await runtime.refresh_oncall()
    from_cache: list[float] = []
    for _ in range(runs):
        start = len(chat.sent)
        started = time.perf_counter()
        await runtime.on_message(ChatMessage("shell", "zoe", "war-room", "!ir"))
        from_cache.append((time.perf_counter() - started) * 1000)
        assert "from the cache" in chat.lines(start)[-2]
    report("!ir answered from the cache, provider down", from_cache)

    await pager.aclose()
    app.sessions.kw["bind"].dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{tmp}/bench.db"
        asyncio.run(run(url, args.runs, Path(tmp) / "reports"))


if __name__ == "__main__":
    main()
