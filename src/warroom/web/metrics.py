"""/metrics for Prometheus. Counters and histograms live in this process; the backlog, timer
lateness, pages by provider and locks held are read from the database at each scrape, so every
replica reports the shared truth."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from warroom.app.service import App
from warroom.store.tables import DeployLockRow, OutboxRow, PageRow, TimerRow
from warroom.telemetry import REGISTRY as PROCESS
from warroom.web.state import state

router = APIRouter()
# The text format every Prometheus (2.x and 3.x) reads; what generate_latest writes.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self, app: App) -> None:
        self.registry = CollectorRegistry()
        self.commands = Counter(
            "warroom_commands", "Chat commands handled, by command and outcome",
            ["command", "outcome"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "warroom_command_seconds", "Time to decide and commit a command, by command",
            ["command"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.alerts = Counter(
            "warroom_alerts_received", "Alerts received, by source and route",
            ["source", "route"], registry=self.registry,
        )  # fmt: skip
        self.registry.register(_StoreCollector(app))
        self.registry.register(_Process())

    def observe(self, command: str, seconds: float, outcome: str) -> None:
        self.commands.labels(command, outcome).inc()
        self.latency.labels(command).observe(seconds)

    def instrument(self, app: App) -> None:
        """Count and time every command the app executes (chat and API alike)."""
        app.messages.observers.append(self.observe)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _Process(Collector):
    """The counters app/ and chat/ keep (warroom.telemetry): pages retried and given up, chat
    API errors and 429s."""

    def collect(self) -> Iterator[Metric]:
        yield from PROCESS.collect()


class _StoreCollector(Collector):
    def __init__(self, app: App) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        now = self.app.clock.now()
        with self.app.sessions() as session:
            pending = OutboxRow.delivered_at.is_(None) & OutboxRow.last_error.is_(None)
            backlog, oldest = session.execute(
                select(func.count(), func.min(OutboxRow.created_at)).where(pending)
            ).one()
            late = session.scalar(
                select(func.min(TimerRow.due_at)).where(
                    TimerRow.fired_at.is_(None),
                    TimerRow.cancelled_at.is_(None),
                    TimerRow.due_at <= now,
                )
            )
            pages = session.execute(
                select(PageRow.provider, PageRow.status, func.count()).group_by(
                    PageRow.provider, PageRow.status
                )
            ).all()
            locks = session.scalar(select(func.count()).select_from(DeployLockRow)) or 0
        yield _gauge("warroom_outbox_backlog", "Effects committed and not yet delivered", backlog)
        yield _gauge(
            "warroom_outbox_oldest_age_seconds",
            "Age of the oldest undelivered effect (0 when none)",
            _age(now, oldest),
        )
        yield _gauge(
            "warroom_timer_lateness_seconds",
            "How late the most overdue unfired timer is now (0 when none)",
            _age(now, late),
        )
        family = GaugeMetricFamily(
            "warroom_pages", "Pages by provider and status", labels=["provider", "status"]
        )
        for provider, status, count in pages:
            family.add_metric([provider, status], count)
        yield family
        yield _gauge("warroom_locks_held", "Deploy locks held", locks)


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def _age(now: datetime, since: datetime | None) -> float:
    if since is None:
        return 0.0
    if since.tzinfo is None:  # an aggregate over SQLite comes back without the type's zone
        since = since.replace(tzinfo=UTC)
    return max(0.0, (now - since).total_seconds())


EXPOSITION: dict[int | str, dict[str, Any]] = {200: {"content": {CONTENT_TYPE: {}}}}


@router.get("/metrics", summary="Prometheus metrics", tags=["health"], responses=EXPOSITION)
async def metrics(request: Request) -> Response:
    st = state(request)
    body = await asyncio.to_thread(st.metrics.exposition) if st.metrics else b""
    return Response(body, media_type=CONTENT_TYPE)
