"""The presence cache: answers kept for the TTL, at most N fresh calls per pick, errors = away."""

from __future__ import annotations

import asyncio

from warroom.app.presence import PresenceCache
from warroom.testing import FakePresence, FixedClock


class Broken:
    calls = 0

    async def presence(self, *, user: str) -> str:
        self.calls += 1
        raise TimeoutError("presence API did not answer")


def test_answers_are_cached_for_the_ttl_then_asked_again(clock: FixedClock) -> None:
    fake = FakePresence()
    fake.set("a", "away")
    cache = PresenceCache(fake, ttl=60, max_calls=5, now=clock.now)
    first = asyncio.run(cache.resolve(["a", "b", "c"]))
    assert ({"a": "away", "b": "active"}, 2, "b") == (first.statuses, first.calls, first.active)
    clock.advance(seconds=59)
    assert 0 == asyncio.run(cache.resolve(["a", "b"])).calls
    clock.advance(seconds=2)
    assert 2 == asyncio.run(cache.resolve(["a", "b"])).calls


def test_the_budget_caps_calls_and_uncheckable_people_count_as_away(clock: FixedClock) -> None:
    broken = Broken()
    cache = PresenceCache(broken, ttl=60, max_calls=3, now=clock.now)
    found = asyncio.run(cache.resolve([f"p{i}" for i in range(10)]))
    assert (3, None) == (broken.calls, found.active)
    assert {"p0": "unknown", "p1": "unknown", "p2": "unknown"} == found.statuses


def test_without_a_presence_port_the_head_of_the_queue_counts_as_online(
    clock: FixedClock,
) -> None:
    cache = PresenceCache(None, ttl=60, max_calls=5, now=clock.now)
    assert "x" == asyncio.run(cache.resolve(["x", "y"])).active
