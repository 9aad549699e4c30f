"""/metrics: what Prometheus scrapes, from the process and from the shared database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from api_helpers import Api
from warroom.commands.types import Me, StartIncident
from warroom.ports import ChatMessage
from warroom.testing import Conversation, FixedClock


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'warroom.db'}"


@pytest.fixture
def api(conv: Conversation) -> Iterator[Api]:
    made = Api(conv)
    yield made
    made.close()


def scrape(api: Api) -> dict[str, float]:
    response = api.call("GET", "/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            out[f"{sample.name}{{{labels}}}"] = sample.value
    return out


def test_commands_latency_locks_timers_and_outbox(api: Api, clock: FixedClock) -> None:
    api.conv.say("spy incident start me checkout is down", user="daniella")
    api.conv.say("spy incident note one", user="daniella")
    api.conv.say("spy incident note two", user="daniella")
    api.conv.say("spy shipit lock api freeze", user="daniella")
    api.conv.say("spy incident start me again", user="daniella")  # refused: bound already
    clock.advance(minutes=31)  # Spy's early reminders are due and not fired
    got = scrape(api)
    assert 2.0 == got["warroom_commands_total{command=Note,outcome=ok}"]
    assert 2.0 == got["warroom_command_seconds_count{command=Note}"]
    assert got["warroom_command_seconds_sum{command=Note}"] > 0
    assert 2.0 == got["warroom_command_seconds_bucket{command=StartIncident,le=+Inf}"]
    assert 1.0 == got["warroom_locks_held{}"]
    late = got["warroom_timer_lateness_seconds{}"]
    assert late > 0
    clock.advance(seconds=45)
    assert late + 45 == scrape(api)["warroom_timer_lateness_seconds{}"]
    api.conv.run_timers()
    assert 0.0 == scrape(api)["warroom_timer_lateness_seconds{}"]


def test_outbox_backlog_and_age(api: Api, clock: FixedClock) -> None:
    """Effects committed but not delivered (the process died before delivering them)."""
    msg = ChatMessage(platform="shell", user="d", channel="general", text="")
    committed = api.conv.app.execute(StartIncident(Me(), "checkout is down"), msg)
    assert committed
    clock.advance(seconds=10)
    got = scrape(api)
    assert got["warroom_outbox_backlog{}"] >= len(committed)
    assert got["warroom_outbox_oldest_age_seconds{}"] >= 10
