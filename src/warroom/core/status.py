"""System status as reported by its sources: components, unresolved incidents, overall word."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Health(StrEnum):
    OPERATIONAL = "operational"
    DEGRADED = "degraded performance"
    PARTIAL = "partial outage"
    MAJOR = "major outage"
    MAINTENANCE = "under maintenance"
    UNKNOWN = "unable to check"


class Overall(StrEnum):
    NORMAL = "NORMAL"
    DEGRADED = "DEGRADED"
    DOWN = "DOWN"
    UNKNOWN = "UNKNOWN"  # no sources: nothing was checked, so nothing is known to be normal


@dataclass(frozen=True)
class Component:
    name: str
    health: Health
    detail: str = ""  # why it could not be checked, or a provider's note


@dataclass(frozen=True)
class StatusIncident:
    name: str
    status: str  # investigating, identified, monitoring...
    source: str


@dataclass(frozen=True)
class Snapshot:
    """What the sources said. `configured` and `statuspages` say what was asked: with no
    source nothing is known, and only Statuspage sources report incidents (`None`: not said)."""

    components: tuple[Component, ...]
    incidents: tuple[StatusIncident, ...] = ()
    configured: bool = True
    statuspages: tuple[str, ...] | None = None

    @property
    def overall(self) -> Overall:
        if not self.configured:
            return Overall.UNKNOWN
        healths = {c.health for c in self.components}
        if Health.MAJOR in healths:
            return Overall.DOWN
        # A source we cannot check is itself a sign of trouble (seed 000).
        if healths - {Health.OPERATIONAL, Health.MAINTENANCE}:
            return Overall.DEGRADED
        return Overall.NORMAL

    def fingerprint(self) -> dict[str, str]:
        """What stalking compares: each component's health, each incident's status, overall."""
        marks = {f"component:{c.name}": c.health.value for c in self.components}
        marks.update({f"incident:{i.source}:{i.name}": i.status for i in self.incidents})
        marks["overall"] = self.overall.value
        return marks

    def unread_statuspages(self) -> list[Component]:
        """The Statuspage sources that could not be read: their incidents are unknown."""
        names = set(self.statuspages or ())
        return [c for c in self.components if c.name in names and c.health is Health.UNKNOWN]


def changes(
    before: dict[str, str] | None, after: dict[str, str]
) -> list[tuple[str, str | None, str | None]]:
    """(key, old, new) for every mark that differs; everything is new when there was no before."""
    before = before or {}
    keys = sorted(set(before) | set(after))
    return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


STATUSPAGE_HEALTH = {
    "operational": Health.OPERATIONAL,
    "degraded_performance": Health.DEGRADED,
    "partial_outage": Health.PARTIAL,
    "major_outage": Health.MAJOR,
    "under_maintenance": Health.MAINTENANCE,
}
