"""The service-disruption report as data, computed from an incident and its timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from warroom.core.incident import ROLE_KINDS, Event, EventKind, Incident, people_involved


@dataclass(frozen=True)
class ReportData:
    incident: Incident
    generated_at: datetime
    impact_start: datetime | None
    impact_end: datetime | None
    time_to_mitigate: timedelta | None
    duration: timedelta
    roles: list[Event]
    timeline: list[Event]
    notes: list[Event]
    people: list[str]

    @property
    def draft(self) -> bool:
        return self.incident.active


def build(incident: Incident, events: list[Event], now: datetime) -> ReportData:
    end = incident.stopped_at or now
    ttm = None
    if incident.failures_started_at and incident.mitigated_at:
        ttm = incident.mitigated_at - incident.failures_started_at
    return ReportData(
        incident=incident,
        generated_at=now,
        impact_start=incident.failures_started_at,
        impact_end=incident.mitigated_at,
        time_to_mitigate=ttm,
        duration=end - incident.started_at,
        roles=[e for e in events if e.kind in ROLE_KINDS],
        timeline=events,
        notes=[e for e in events if e.kind is EventKind.NOTE],
        people=people_involved(incident, events),
    )
