"""/metrics: pages retried and given up by provider, chat API errors and 429s by method;
provoked, then scraped (the counters are per process: each test reads a difference)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from api_helpers import Api
from helpers import MakeConversation
from paging_config import with_roster
from slack_helpers import DANIELLA, WAR_ROOM, connected, run
from test_metrics import scrape
from warroom.app.service import App
from warroom.config import Settings
from warroom.providers.opsgenie import OpsgeniePager
from warroom.testing import Conversation, FixedClock
from warroom.testing.vendors import FakeOpsgenie
from warroom.web.metrics import Metrics

OG_KEY = "og-secret-key"
RETRIES = "warroom_page_retries_total{provider=opsgenie}"
GIVEN_UP = "warroom_pages_given_up_total{provider=opsgenie}"


@pytest.fixture
def opsgenie() -> Iterator[FakeOpsgenie]:
    with FakeOpsgenie(key=OG_KEY) as og:
        og.schedule("IMOC Primary", og.user("alice@example.com", "Alice Archer", "1-5550100"))
        og.schedule("IMOC Backup", og.user("bob@example.com", "Bob Baker", "1-5550101"))
        yield og


@pytest.fixture
def paged(
    make_conversation: MakeConversation, settings: Settings, opsgenie: FakeOpsgenie
) -> Iterator[tuple[Conversation, Api]]:
    config = with_roster(
        settings, provider="opsgenie", primary="IMOC Primary", backup="IMOC Backup",
        trainees=[], paging={"backoff_seconds": 1, "deadline": "1m"},
    )  # fmt: skip
    pager = OpsgeniePager(api_url=opsgenie.url, api_key=OG_KEY, timeout=30)
    conv = make_conversation(settings=config, pagers={"opsgenie": pager}, closing=[pager])
    conv.refresh()
    api = Api(conv)
    yield conv, api
    api.close()


def delta(before: dict[str, float], after: dict[str, float], key: str) -> float:
    return after.get(key, 0.0) - before.get(key, 0.0)


def test_pages_retried_and_given_up_by_provider(
    paged: tuple[Conversation, Api], opsgenie: FakeOpsgenie, clock: FixedClock
) -> None:
    conv, api = paged
    before = scrape(api)
    opsgenie.faults = [429, 429]
    opsgenie.fault_headers = {"Retry-After": "5"}
    conv.say('spy page imoc "checkout is down"', user="zoe")
    for _ in range(2):
        clock.advance(seconds=5)
        conv.run_timers()
    assert 3 == len(opsgenie.calls("POST", "/v2/alerts"))  # the first try and two retries
    middle = scrape(api)
    assert (2.0, 0.0) == (delta(before, middle, RETRIES), delta(before, middle, GIVEN_UP))
    opsgenie.faults = [503] * 100  # down until the deadline (1 minute)
    conv.say('spy page imoc "search is down"', user="zoe")
    said: list[str] = []
    for _ in range(30):
        clock.advance(seconds=5)
        said += conv.run_timers()
    assert any("Gave up on page #2" in line for line in said), said
    after = scrape(api)
    tries = len(opsgenie.calls("POST", "/v2/alerts")) - 3
    assert (tries - 1, 1.0) == (delta(middle, after, RETRIES), delta(middle, after, GIVEN_UP))


def test_chat_api_errors_and_429s_by_method(app: App) -> None:
    errors = "warroom_chat_api_errors_total{method=chat.postMessage,platform=slack}"
    limited = "warroom_chat_rate_limited_total{method=chat.postMessage,platform=slack}"
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        metrics = Metrics(app)
        seen["before"] = parse(metrics)
        async with connected(app) as s:
            s.slack.rate_limit("chat.postMessage", retry_after=0, times=2)
            await s.say(DANIELLA, "spy incidents", WAR_ROOM)
            s.slack.fail("chat.postMessage", "channel_not_found")
            await s.say(DANIELLA, "spy incidents", WAR_ROOM)
        seen["after"] = parse(metrics)

    run(scenario)
    assert 2.0 == delta(seen["before"], seen["after"], limited)
    assert 1.0 == delta(seen["before"], seen["after"], errors)


def parse(metrics: Metrics) -> dict[str, float]:
    from prometheus_client.parser import text_string_to_metric_families

    out: dict[str, float] = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            out[f"{sample.name}{{{labels}}}"] = sample.value
    return out
