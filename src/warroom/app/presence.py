"""Presence, cached: Slack allows about 50 users.getPresence calls a minute, so an answer is
kept for `rotation.presence_ttl` and one pick makes at most `rotation.presence_calls` (≤ 5)
fresh calls, spent on the head of the queue in order. A candidate whose presence is neither
cached nor checkable within that budget counts as away for this pick."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from warroom.ports import Presence

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Resolved:
    statuses: dict[str, str]
    calls: int
    active: str | None


class PresenceCache:
    def __init__(
        self,
        port: Presence | None,
        *,
        ttl: float,
        max_calls: int,
        now: Callable[[], datetime],
    ) -> None:
        self.port = port
        self.ttl = timedelta(seconds=ttl)
        self.max_calls = max_calls
        self.now = now
        self._cache: dict[str, tuple[str, datetime]] = {}

    def forget(self, user: str) -> None:
        """The platform said this person's presence changed: ask again next time."""
        self._cache.pop(user, None)

    def remember(self, user: str, status: str) -> None:
        self._cache[user] = (status, self.now())

    async def resolve(self, handles: Sequence[str]) -> Resolved:
        """Walk the queue until someone is online; statuses of those looked at."""
        statuses: dict[str, str] = {}
        calls = 0
        now = self.now()
        for handle in handles:
            if self.port is None:
                statuses[handle] = "active"  # no presence on this platform: everyone counts
                return Resolved(statuses, 0, handle)
            cached = self._cache.get(handle)
            if cached is not None and now - cached[1] < self.ttl:
                status = cached[0]
            elif calls < self.max_calls:
                calls += 1
                try:
                    status = await self.port.presence(user=handle)
                except Exception:
                    log.warning("presence of %s could not be checked; counted as away", handle)
                    status = "unknown"
                else:
                    self._cache[handle] = (status, now)
            else:
                continue
            statuses[handle] = status
            if status == "active":
                return Resolved(statuses, calls, handle)
        return Resolved(statuses, calls, None)
