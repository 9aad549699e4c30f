"""Service levels: availability, error budget and burn rate, from incidents and probe counts.

Pure arithmetic on what the store read, with `now` given. Two SLI sources:

- incidents: each impact is an interval (failures started → mitigated, or up to `now` while
  unmitigated) with a weight (1 for full impact, a fraction for partial). Overlapping impacts on
  one service count once, at the highest weight covering each instant. Every minute of the
  window is known: no incident there means the service was up.
- probes: good/total health-check samples per minute. A minute without a sample is unknown,
  never good: availability is good samples over samples, and the unknown minutes are reported.

A service with both sources is held to the worse of the two.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise


@dataclass(frozen=True)
class Impact:
    """An incident's impact on one service. `end` None: not mitigated yet (counts up to now)."""

    incident_id: int
    start: datetime
    end: datetime | None
    weight: float = 1.0


@dataclass(frozen=True)
class Measure:
    """What one source says about a span: bad and known minutes (bad <= known <= span)."""

    source: str
    span_minutes: float
    known_minutes: float
    bad_minutes: float

    @property
    def unknown_minutes(self) -> float:
        return max(0.0, self.span_minutes - self.known_minutes)

    @property
    def availability(self) -> float | None:
        """Percent of the known time the service was good; None when nothing is known."""
        if self.known_minutes <= 0:
            return None
        return clamp(100.0 * (1.0 - self.bad_minutes / self.known_minutes))


def clamp(value: float, low: float = 0.0, high: float = 100.0) -> float:
    return min(high, max(low, value))


def merged_bad_seconds(impacts: Iterable[Impact], *, start: datetime, end: datetime) -> float:
    """Seconds of [start, end) spent in impact; overlaps count once, at their highest weight."""
    # A sweep over the impacts' edges, keeping how many impacts of each weight are open.
    changes: list[tuple[datetime, int, float]] = []
    for impact in impacts:
        a = max(impact.start, start)
        b = min(impact.end or end, end)
        if b <= a or impact.weight <= 0:
            continue
        weight = min(1.0, impact.weight)
        changes += [(a, 1, weight), (b, -1, weight)]
    if not changes:
        return 0.0
    changes.sort(key=lambda c: c[0])
    open_weights: dict[float, int] = {}
    total = 0.0
    for (at, step, weight), (following, _, _) in pairwise([*changes, (end, 0, 0.0)]):
        open_weights[weight] = open_weights.get(weight, 0) + step
        covering = [w for w, n in open_weights.items() if n > 0]
        if covering and following > at:
            total += max(covering) * (following - at).total_seconds()
    return total


def incident_measure(impacts: Iterable[Impact], *, start: datetime, end: datetime) -> Measure:
    span = max(0.0, (end - start).total_seconds() / 60)
    bad = merged_bad_seconds(impacts, start=start, end=end) / 60
    return Measure("incidents", span, span, min(bad, span))


def spent_by(impact: Impact, *, start: datetime, end: datetime) -> float:
    """Bad minutes of one incident inside [start, end), on its own."""
    return merged_bad_seconds([impact], start=start, end=end) / 60


@dataclass(frozen=True)
class Counts:
    """Probe samples over a span: `known_minutes` is the minutes with at least one sample."""

    good: int
    total: int
    known_minutes: int

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.good + other.good,
            self.total + other.total,
            self.known_minutes + other.known_minutes,
        )


NO_COUNTS = Counts(0, 0, 0)


def probe_measure(counts: Counts, *, span_minutes: float) -> Measure:
    known = min(float(counts.known_minutes), span_minutes)
    if counts.total <= 0 or known <= 0:
        return Measure("probes", span_minutes, 0.0, 0.0)
    good = min(counts.good, counts.total)
    return Measure("probes", span_minutes, known, known * (1 - good / counts.total))


def minute_counts(good: bytes, total: bytes) -> Counts:
    """Counts from per-minute arrays (one byte a minute): a minute with total 0 is unknown."""
    return Counts(sum(good), sum(total), len(total) - total.count(0))


def worst(measures: list[Measure]) -> Measure | None:
    """The source with the lowest availability; a source that knows nothing has no say."""
    known = [m for m in measures if m.availability is not None]
    if not known:
        return measures[0] if measures else None
    return min(known, key=lambda m: (m.availability, -m.known_minutes))


@dataclass(frozen=True)
class Budget:
    """The error budget over the known minutes: `objective` 99.9 allows 0.1 % of them bad."""

    objective: float
    known_minutes: float
    spent_minutes: float

    @property
    def minutes(self) -> float:
        return (1.0 - self.objective / 100.0) * self.known_minutes

    @property
    def left_minutes(self) -> float:
        return self.minutes - self.spent_minutes

    @property
    def spent_percent(self) -> float | None:
        if self.minutes <= 0:
            return None
        return 100.0 * self.spent_minutes / self.minutes

    @property
    def left_percent(self) -> float | None:
        spent = self.spent_percent
        return None if spent is None else 100.0 - spent


def budget(objective: float, measure: Measure) -> Budget:
    return Budget(objective, measure.known_minutes, measure.bad_minutes)


def burn_rate(measure: Measure, objective: float) -> float | None:
    """How fast the budget burns: 1 spends it exactly over the window; None if unknown."""
    availability = measure.availability
    allowed = 1.0 - objective / 100.0
    if availability is None or allowed <= 0:
        return None
    return (1.0 - availability / 100.0) / allowed


@dataclass(frozen=True)
class BurnRule:
    """The SRE workbook's multi-window rule: fire when both windows burn at `factor` or more."""

    name: str
    factor: float
    long: timedelta
    short: timedelta
    action: str  # "page" the service's team, or "post" in its channel


DEFAULT_BURN_RULES = (
    BurnRule("fast", 14.4, timedelta(hours=1), timedelta(minutes=5), "page"),
    BurnRule("slow", 6.0, timedelta(hours=6), timedelta(minutes=30), "post"),
)


def firing(rule: BurnRule, long_rate: float | None, short_rate: float | None) -> bool:
    if long_rate is None or short_rate is None:
        return False
    return long_rate >= rule.factor and short_rate >= rule.factor


def alert_changes(open_alerts: set[str], now_firing: set[str]) -> tuple[list[str], list[str]]:
    """(new episodes, resolved episodes): an alert fires once per episode."""
    return sorted(now_firing - open_alerts), sorted(open_alerts - now_firing)


def window_start(now: datetime, window: timedelta) -> datetime:
    return now - window


@dataclass(frozen=True)
class ServiceLevel:
    """One service over its window: what each source said and the one that decides."""

    service: str
    objective: float
    sla: float | None
    window: timedelta
    measures: tuple[Measure, ...]

    @property
    def measure(self) -> Measure | None:
        return worst(list(self.measures))

    @property
    def availability(self) -> float | None:
        measure = self.measure
        return measure.availability if measure else None

    @property
    def budget(self) -> Budget | None:
        measure = self.measure
        if measure is None or measure.availability is None:
            return None
        return budget(self.objective, measure)

    @property
    def state(self) -> str:
        """`unknown`, `met`, `SLA at risk` (the budget is spent) or `SLA breached`."""
        availability = self.availability
        if availability is None:
            return "unknown"
        if self.sla is not None and availability < self.sla:
            return "SLA breached"
        if availability < self.objective:
            return "SLA at risk" if self.sla is not None else "objective missed"
        return "met"


@dataclass(frozen=True)
class ImpactSpan:
    """An incident's impact on a service, with the times that bound it."""

    service: str
    incident_id: int
    summary: str
    level: str
    start: datetime  # failures started, else the incident's start
    end: datetime | None  # mitigated, else stopped; None while running unmitigated


@dataclass(frozen=True)
class Detail:
    """`slo <service>`: its level, the incidents that spent its budget (minutes each), and its
    burn rates by window name (`1h`, `6h`). `counts_incidents` False: the service counts
    probes only (`incidents: false`), so no incident spends its budget."""

    level: ServiceLevel
    spent: list[tuple[ImpactSpan, float]]
    burn: dict[str, float | None]
    counts_incidents: bool = True
