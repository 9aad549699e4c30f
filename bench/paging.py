"""Paging latency: from `!ir page` to the provider receiving the alert, and `!ir` answered from
the on-call cache while the provider is down; then, with the provider down, slow (30 s) and
rate limiting (429 with Retry-After), the time from `!ir page` to the phone numbers shown in
the channel, and whether the provider gets exactly one alert once it recovers.

    .venv/bin/python bench/paging.py            # SQLite
    .venv/bin/python bench/paging.py --runs 500 --db postgresql+psycopg://postgres@127.0.0.1/test
    .venv/bin/python bench/paging.py --runs 0 --fault-rounds 5    # only the faults

The provider is the fake Opsgenie server (real HTTP on 127.0.0.1, answering at once), so the
first figure is warroom's own share: parse, transaction, outbox, commit, delivery, HTTP request.
The faults run on the default paging settings (`slow_after` 3 s, `timeout_seconds` 5 s,
`backoff_seconds` 1 s, `deadline` 10 min) with the real timer worker (`timers.poll` 0.5 s).
Prints p50/p99 (or each round) in milliseconds. Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
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


def fault_settings(reports: Path) -> Settings:
    """The default paging settings: what a user who set nothing gets."""
    settings = settings_for(reports)
    settings.paging = Settings().paging
    settings.paging.war_rooms = False
    return settings


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


CALL_THEM = "Call them: Alice (@alice) +1 5550100, Bob +1 5550101"
CONFIRMED = "✅ Opsgenie confirmed page #"
SLOW = 30.0
RETRY_AFTER = 5


async def faults(url: str, rounds: int, reports: Path) -> bool:
    """Each fault `rounds` times: `!ir page` -> the phones shown; the provider recovers ->
    exactly one alert, confirmed in the channel. True when every target was met."""
    app = App(sessions=connect(url), settings=fault_settings(reports))
    live = FakeOpsgenie(key=KEY)
    live.schedule("IMOC Primary", live.user("alice@example.com", "Alice", "1-5550100"))
    live.schedule("IMOC Backup", live.user("bob@example.com", "Bob", "1-5550101"))
    dead = FakeOpsgenie(key=KEY)
    dead.close()  # nothing listens at its address: connections are refused
    pager = OpsgeniePager(api_url=live.url, api_key=KEY, timeout=60)
    chat = FakeChat()
    runtime = build_runtime(app, {"shell": chat}, pagers={"opsgenie": pager})  # with timers
    await runtime.refresh_oncall()
    await runtime.start()
    met = True

    async def page(name: str, fault: Callable[[], None], recover: Callable[[], None]) -> None:
        nonlocal met
        channel = f"bench-{uuid.uuid4().hex[:8]}"
        start = len(chat.sent)
        fault()
        started = time.perf_counter()
        await runtime.on_message(ChatMessage("shell", "zoe", channel, f"!ir page {name} {channel}"))
        phones = await until(chat, start, CALL_THEM, started)
        recover()
        confirmed = await until(chat, start, CONFIRMED, started)
        keys = [a for a in live.alerts.values() if channel in a.summary]
        posts = [r for r in live.calls("POST", "/v2/alerts") if channel in r.body["message"]]
        ok = phones <= 5 and len(keys) == 1 and keys[0].triggers >= 1
        met = met and ok
        gaps = [round(b.at - a.at, 1) for a, b in itertools.pairwise(posts)]
        print(
            f"{name:>13}: phones after {phones * 1000:7.0f} ms; confirmed after "
            f"{confirmed:5.1f} s; alerts {len(keys)}; requests {len(posts)} (gaps {gaps} s)"
            f"{'' if ok else '  TARGET MISSED'}"
        )

    def down() -> None:
        pager.api_url = dead.url

    def up() -> None:
        pager.api_url = live.url
        live.delay = 0
        live.faults = []

    def slow() -> None:
        live.delay = SLOW

    def limited() -> None:
        live.faults = [429, 429]
        live.fault_headers = {"Retry-After": str(RETRY_AFTER)}

    for _ in range(rounds):
        await page("down", down, up)
        await page("slow (30 s)", slow, up)
        await page(f"429 ({RETRY_AFTER} s)", limited, lambda: None)
    await runtime.stop()
    await pager.aclose()
    live.close()
    app.sessions.kw["bind"].dispose()
    return met


async def until(chat: FakeChat, start: int, text: str, started: float) -> float:
    """Seconds from `started` until the bot has said `text` (at most 120 s)."""
    while not any(text in line for line in chat.lines(start)):
        if time.perf_counter() - started > 120:
            raise TimeoutError(f"never said {text!r}: {chat.lines(start)}")
        await asyncio.sleep(0.005)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--fault-rounds", type=int, default=3)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    met = True
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{tmp}/bench.db"
        if args.runs:
            asyncio.run(run(url, args.runs, Path(tmp) / "reports"))
        if args.fault_rounds:
            print("provider faults: !ir page -> phones shown (target <= 5 s), then one alert")
            met = asyncio.run(faults(url, args.fault_rounds, Path(tmp) / "reports"))
    raise SystemExit(0 if met else 1)


if __name__ == "__main__":
    main()
