"""Messages of one channel are decided and delivered in the order they arrived; channels run in
parallel (issue 15, "Order")."""

from __future__ import annotations

import asyncio

import pytest

from slack_helpers import CAMILO, DANIELLA, SUPPORT, WAR_ROOM, connected, run
from warroom.app.service import App
from warroom.config import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.slack.posts_per_second = 1000.0
    settings.reminders = []
    return settings


def inversions(seen: list[int]) -> int:
    return sum(1 for i, a in enumerate(seen) for b in seen[i + 1 :] if a > b)


@pytest.mark.parametrize("limited", [0, 4], ids=["free", "rate-limited"])
def test_a_burst_to_one_channel_is_answered_in_arrival_order(app: App, limited: int) -> None:
    """Ten commands sent within a few milliseconds: each answer names its command, and the
    answers come back in the order the commands were sent, in both channels at once, also
    when Slack answers some posts with 429."""

    async def scenario() -> None:
        async with connected(app) as s:
            await s.say(DANIELLA, "spy incident start me checkout is down")
            await s.say(DANIELLA, "spy incident start me refunds are slow", SUPPORT)
            before = {c: len(s.slack.posts(c)) for c in (WAR_ROOM, SUPPORT)}
            if limited:
                s.slack.rate_limit("chat.postMessage", retry_after=0, times=limited)
            sends = []
            for i in range(1, 11):
                for channel in (WAR_ROOM, SUPPORT):
                    sends.append(
                        s.slack.message(CAMILO, channel, f"spy incident failures started {i}m ago")
                    )
            await asyncio.gather(*sends)
            s.events += 20
            await s.settle()
            for channel in (WAR_ROOM, SUPPORT):
                answers = s.slack.posts(channel)[before[channel] :]
                assert 10 == len(answers), answers
                minutes = [int(a.split(":")[1]) for a in answers]  # 22:(42-i):36
                started = [42 - m for m in minutes]
                assert 0 == inversions(started), answers
                assert list(range(1, 11)) == started

    run(scenario)
