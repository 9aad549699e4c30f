"""The dashboard's pages under load: an incident with 5,000 timeline events, Now with 50 active
incidents, and the weight of a page with its assets.

    .venv/bin/python bench/dashboard.py            # SQLite
    .venv/bin/python bench/dashboard.py --runs 50 --db postgresql+psycopg://postgres@127.0.0.1/test

Through the real server (uvicorn on 127.0.0.1 in the bot's loop, a keep-alive httpx client on
the same loop), nobody signed in (127.0.0.1). Targets: the incident page p99 < 200 ms, Now
p99 < 50 ms, the heaviest page with its CSS and script < 300 KB. Figures: docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert, text

from warroom.app.runtime import Runtime
from warroom.app.service import App
from warroom.config import Settings
from warroom.store.db import connect
from warroom.store.tables import DeployLockRow, EventRow, IncidentRow
from warroom.testing import FakeChat
from warroom.web.server import WebServer

EVENTS = 5_000
ACTIVE = 50


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(label: str, values: list[float], target: float) -> None:
    p99 = pct(values, 0.99)
    print(
        f"{label}: p50 {statistics.median(values):6.1f} ms  p99 {p99:6.1f} ms  "
        f"(n={len(values)}, target p99 < {target:g} ms: {'met' if p99 < target else 'NOT met'})"
    )


def seed(app: App) -> None:
    start = datetime.now(UTC) - timedelta(days=2)
    incidents = [
        {
            "platform": "shell", "channel": f"war-{i}", "summary": f"outage {i}: checkout slow",
            "reporter": "zoe", "imoc": f"imoc{i}", "srm": f"srm{i}",
            "started_at": start + timedelta(minutes=i),
            "failures_started_at": start + timedelta(minutes=i - 5),
            "mitigated_at": None, "stopped_at": None,
        }
        for i in range(ACTIVE)
    ]  # fmt: skip
    kinds = ["note", "note", "note", "imoc", "provider_status", "page_sent"]
    events = [
        {
            "incident_id": 1, "at": start + timedelta(seconds=20 * n), "actor": f"user{n % 7}",
            "kind": kinds[n % len(kinds)], "text": f"step {n}: looked at the dashboards, "
            f"restarted shard {n % 16} and noted the error rate", "subject": None,
        }
        for n in range(EVENTS)
    ]  # fmt: skip
    locks = [
        {"stack": f"shop/app-{i}", "holder": "emil", "reason": "incident", "since": start,
         "incident_id": i + 1, "platform": "shell"}
        for i in range(5)
    ]  # fmt: skip
    with app.sessions.begin() as session:
        session.execute(insert(IncidentRow), incidents)
        session.execute(insert(EventRow), events)
        session.execute(insert(DeployLockRow), locks)
    with app.sessions.kw["bind"].begin() as conn:
        conn.execute(text("ANALYZE"))


async def timed(client: httpx.AsyncClient, url: str, runs: int) -> tuple[list[float], bytes]:
    out: list[float] = []
    body = b""
    for _ in range(runs):
        started = time.perf_counter()
        response = await client.get(url)
        body = response.content
        out.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text[:300]
    return out, body


async def weight(client: httpx.AsyncClient, html: bytes) -> int:
    """The page and every stylesheet and script it loads."""
    total = len(html)
    for asset in re.findall(rb'(?:href|src)="(/static/[^"]+)"', html):
        total += len((await client.get(asset.decode())).content)
    return total


async def run(url: str, runs: int, reports: Path) -> None:
    settings = Settings.model_validate({"reports": {"dir": str(reports)}, "reminders": []})
    app = App(sessions=connect(url), settings=settings)
    seed(app)
    runtime = Runtime(app, {"shell": FakeChat()})
    await runtime.start()
    server = WebServer(runtime, "127.0.0.1", 0)
    await server.start()
    async with httpx.AsyncClient(base_url=server.url) as client:
        await timed(client, "/incidents/1", 3)  # warm-up
        await timed(client, "/", 10)
        incident, page = await timed(client, "/incidents/1", runs)
        report(f"GET /incidents/1 ({EVENTS:,} timeline events)", incident, 200)
        now, now_html = await timed(client, "/", runs * 4)
        report(f"GET / (Now, {ACTIVE} active incidents)", now, 50)
        for label, html in (("incident page", page), ("Now", now_html)):
            size = await weight(client, html)
            print(f"{label} with its assets: {size / 1024:.0f} KB "
                  f"(target < 300 KB: {'met' if size < 300 * 1024 else 'NOT met'})")  # fmt: skip
        charts, charts_html = await timed(client, "/charts", max(5, runs // 4))
        print(f"GET /charts: p50 {statistics.median(charts):.1f} ms, "
              f"{await weight(client, charts_html) / 1024:.0f} KB with its assets")  # fmt: skip
    await server.stop()
    await runtime.stop()
    app.sessions.kw["bind"].dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{tmp}/bench.db"
        asyncio.run(run(url, args.runs, Path(tmp) / "reports"))


if __name__ == "__main__":
    main()
