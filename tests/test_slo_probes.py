"""Probes through the real health checker (HTTP on 127.0.0.1): a sample is good when the check
answers 2xx within its timeout; another status, no answer in time or no answer at all is bad;
a minute warroom did not probe is unknown."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from health_server import HealthServer
from helpers import MakeConversation
from warroom.config import Settings, StatusSourceSettings
from warroom.config.services import ServiceSettings
from warroom.providers.status import StatusChecker
from warroom.testing import Conversation, FixedClock


@pytest.fixture
def server() -> Iterator[HealthServer]:
    made = HealthServer()
    yield made
    made.close()


@pytest.fixture
def pconv(
    settings: Settings, server: HealthServer, make_conversation: MakeConversation
) -> Conversation:
    settings.reminders = []
    settings.status.on_start_stop = False
    settings.status.sources = [
        StatusSourceSettings(name="api-health", url=f"{server.url}/nocontent", timeout=1)
    ]
    settings.services = {
        "api": ServiceSettings(objective=99, window="1d", probes=["api-health"], incidents=False)
    }
    checker = StatusChecker(settings.status.sources)
    conv = make_conversation(settings=settings, status=checker, closing=[checker])
    conv.app.ensure_oncall_timers("shell")  # as `Runtime.start` does
    return conv


def probe(conv: Conversation, clock: FixedClock) -> None:
    clock.advance(seconds=30)
    assert [] == conv.run_timers()


def test_a_service_hard_down_spends_its_budget(
    pconv: Conversation, clock: FixedClock, server: HealthServer
) -> None:
    """T0 is 22:42:36; probes at 22:43:00 and :30 answer 204 (good: any 2xx), 22:44:00 and :30
    answer 503 (bad), 22:45:00 hangs past the 1 s timeout (bad), 22:45:30 finds the server gone
    (connection refused: bad). Minute 43 is good, 44 and 45 bad: 1 good minute of 3 known,
    33.333%, 2 bad minutes; the day's other 1,437 minutes are unknown."""
    probe(pconv, clock)
    probe(pconv, clock)
    server.healthy = False
    probe(pconv, clock)
    probe(pconv, clock)
    server.hang, server.slow_seconds = True, 2.0
    probe(pconv, clock)
    server.close()
    probe(pconv, clock)
    detail = pconv.say("spy slo api", user="ana")
    assert "[#war-room] bot:   probes: 33.333%, 2.0 bad minutes of 3 known, 1437 unknown" in detail
