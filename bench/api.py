"""The HTTP API under a realistic history: 10,000 stopped incidents and a few active ones.

    .venv/bin/python bench/api.py            # SQLite
    .venv/bin/python bench/api.py --runs 500 --db postgresql+psycopg://postgres@127.0.0.1/test

Measures, through the real server (uvicorn on 127.0.0.1, in the bot's loop, an httpx client
with keep-alive on the same loop, so the client's share is included):
- `GET /api/v1/incidents?status=active` (target p99 < 20 ms),
- `GET /api/v1/locks/{stack}` on a locked stack (target p99 < 5 ms), and `GET /healthz` right
  after it as the floor (what uvicorn, FastAPI and the client cost on this machine now),
- an Alertmanager webhook -> the provider (the fake Opsgenie on 127.0.0.1) receiving the page
  (target p99 < 100 ms).
Prints p50/p99 in milliseconds. Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
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
from warroom.providers.opsgenie import OpsgeniePager
from warroom.store import tokens
from warroom.store.db import connect
from warroom.store.tables import IncidentRow
from warroom.testing import FakeChat
from warroom.testing.vendors import FakeOpsgenie
from warroom.web.server import WebServer

KEY = "bench-key"
STOPPED = 10_000


def settings_for(reports: Path) -> Settings:
    return Settings.model_validate(
        {
            "reports": {"dir": str(reports)},
            "teams": {"datastores": {"channel": "datastores", "provider": "opsgenie",
                                     "schedule": "DS"}},
            "paging": {"timeout_seconds": 0.5, "retries": 0, "war_rooms": False},
            "alerts": {"routes": [{"match": {"team": "datastores"}, "team": "datastores"}]},
            "reminders": [],
        }
    )  # fmt: skip


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(label: str, values: list[float], target: float) -> None:
    p99 = pct(values, 0.99)
    print(
        f"{label}: p50 {statistics.median(values):6.2f} ms  p99 {p99:6.2f} ms  "
        f"(n={len(values)}, target p99 < {target:g} ms: {'met' if p99 < target else 'NOT met'})"
    )


def seed(app: App) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    rows = [
        {
            "platform": "shell", "channel": f"c{i % 500}", "summary": f"outage {i}",
            "reporter": "zoe", "imoc": "zoe", "srm": None,
            "started_at": start + timedelta(hours=i),
            "stopped_at": start + timedelta(hours=i, minutes=30),
        }
        for i in range(STOPPED)
    ]  # fmt: skip
    active = [{**rows[0], "channel": f"war-{i}", "stopped_at": None} for i in range(3)]
    with app.sessions.begin() as session:
        session.execute(insert(IncidentRow), rows + active)
    engine = app.sessions.kw["bind"]
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


async def timed(client: httpx.AsyncClient, url: str, runs: int, expect: int) -> list[float]:
    out: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        response = await client.get(url)
        out.append((time.perf_counter() - started) * 1000)
        assert response.status_code == expect, response.text
    return out


async def run(url: str, runs: int, reports: Path) -> None:
    app = App(sessions=connect(url), settings=settings_for(reports))
    seed(app)
    with app.sessions.begin() as session:
        secret = tokens.create("bench", "admin", datetime.now(UTC), session=session)
    fake = FakeOpsgenie(key=KEY)
    fake.schedule("DS", fake.user("carol@example.com", "Carol", "1-5550102"))
    pager = OpsgeniePager(api_url=fake.url, api_key=KEY, timeout=5)
    runtime = Runtime(app, {"shell": FakeChat()}, pagers={"opsgenie": pager})
    await runtime.start()
    await runtime.refresh_oncall()
    server = WebServer(runtime, "127.0.0.1", 0)
    await server.start()
    headers = {"Authorization": f"Bearer {secret}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers) as client:
        await client.post("/api/v1/locks/shop/web", json={"reason": "bench"})
        await timed(client, "/api/v1/incidents?status=active", 20, 200)  # warm-up
        listing = await timed(client, "/api/v1/incidents?status=active", runs, 200)
        report(f"GET /api/v1/incidents?status=active ({STOPPED:,} stopped)", listing, 20)
        locks = await timed(client, "/api/v1/locks/shop/web", runs, 423)
        report("GET /api/v1/locks/{stack} (locked: 423)", locks, 5)
        # The floor: the same server and client for a request that does nothing.
        floor = await timed(client, "/healthz", runs, 200)
        report("GET /healthz (the server's and client's own share)", floor, 5)

        to_page: list[float] = []
        for i in range(runs):
            before = len(fake.calls("POST", "/v2/alerts"))
            payload = {
                "version": "4", "groupKey": f"{{}}:{{alertname=\"Bench{i}\"}}", "status": "firing",
                "receiver": "warroom", "groupLabels": {"alertname": f"Bench{i}"},
                "commonLabels": {"alertname": f"Bench{i}", "team": "datastores"},
                "commonAnnotations": {"summary": "bench"}, "externalURL": "", "alerts": [],
            }  # fmt: skip
            started = time.perf_counter()
            response = await client.post("/api/v1/alerts/alertmanager", json=payload)
            assert response.status_code == 201, response.text
            while len(fake.calls("POST", "/v2/alerts")) == before:
                await asyncio.sleep(0.0005)
            to_page.append((fake.calls("POST", "/v2/alerts")[-1].at - started) * 1000)
        report("Alertmanager webhook -> provider receives the page", to_page, 100)
    await server.stop()
    await runtime.stop()
    await pager.aclose()
    fake.close()
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
