"""The dashboard's rotation page and charts: the queue and roster, and the weekly numbers
(incidents, time to mitigate and acknowledge, time zones, pings). Read-only."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from warroom.app import rotation as rotation_cases
from warroom.app.context import Ctx
from warroom.app.service import App
from warroom.core import rotation as core_rotation
from warroom.core.rotation import Member, percentile
from warroom.store import rotation as rotation_store
from warroom.store.tables import IncidentRow, RotationPageRow

# Rotation ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterLine:
    member: Member
    why_not: str | None  # holiday, excluded, hours, snoozed; None: may be paged now


@dataclass(frozen=True)
class RotationView:
    queue: list[Member]
    roster: list[RosterLine]
    stats: core_rotation.Stats


def rotation_view(app: App, *, limit: int = 25) -> RotationView:
    now = app.clock.now()
    with app.sessions() as session:
        members = rotation_store.members(session=session)
        ctx = Ctx(session=session, msg=None, now=now, settings=app.settings)
        rules = rotation_cases.rules(ctx)
        facts = rotation_store.facts(session=session)
    roster = [RosterLine(m, core_rotation.why_not(m, rules, now)) for m in members]
    return RotationView(core_rotation.queue(members)[:limit], roster, core_rotation.stats(facts))


# Charts --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    """A chart's numbers: one row per label, one column per name."""

    title: str
    unit: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[float | None, ...]], ...]

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["label", *self.columns])
        for label, values in self.rows:
            writer.writerow([label, *("" if v is None else _num(v) for v in values)])
        return out.getvalue()


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def week_of(at: datetime) -> str:
    year, week, _ = at.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


def _weeks(first: datetime, last: datetime) -> list[str]:
    """Every ISO week from `first` to `last`, so quiet weeks show as zero."""
    start = first - timedelta(days=first.weekday())
    out: list[str] = []
    at = start
    while at <= last:
        out.append(week_of(at))
        at += timedelta(days=7)
    return out


def _p50_p90(groups: dict[str, list[float]], labels: Sequence[str]) -> tuple[Any, ...]:
    return tuple(
        (label, (percentile(groups.get(label, []), 50), percentile(groups.get(label, []), 90)))
        for label in labels
    )


CHARTS = ("incidents", "mitigate", "acknowledge", "timezones", "pings")


def charts(app: App, *, weeks: int = 26) -> dict[str, Series]:
    """Incidents per week, time to mitigate and time to acknowledge per week (p50, p90),
    acknowledged pages per responder time zone, pings per person."""
    now = app.clock.now()
    since = now - timedelta(weeks=weeks)
    with app.sessions() as session:
        rows = session.execute(
            select(
                IncidentRow.started_at, IncidentRow.failures_started_at, IncidentRow.mitigated_at
            ).where(IncidentRow.started_at >= since)
        ).all()
        pages = session.execute(
            select(RotationPageRow.created_at, RotationPageRow.acked_at).where(
                RotationPageRow.created_at >= since
            )
        ).all()
        facts = rotation_store.facts(session=session)
    stats = core_rotation.stats(facts)
    starts = [r[0] for r in rows] + [p[0] for p in pages]
    labels = _weeks(min(starts), now) if starts else [week_of(now)]
    per_week: Counter[str] = Counter(week_of(r[0]) for r in rows)
    mitigate: dict[str, list[float]] = {}
    for started, failures, mitigated in rows:
        if mitigated is not None:
            minutes = (mitigated - (failures or started)).total_seconds() / 60
            mitigate.setdefault(week_of(started), []).append(max(0.0, minutes))
    ack: dict[str, list[float]] = {}
    for created, acked in pages:
        if acked is not None:
            ack.setdefault(week_of(created), []).append((acked - created).total_seconds())
    return {
        "incidents": Series(
            "Incidents per week",
            "incidents",
            ("incidents",),
            tuple((w, (float(per_week.get(w, 0)),)) for w in labels),
        ),
        "mitigate": Series(
            "Time to mitigate (failures started → mitigated)",
            "minutes",
            ("p50", "p90"),
            _p50_p90(mitigate, labels),
        ),
        "acknowledge": Series(
            "Time to acknowledge pages", "seconds", ("p50", "p90"), _p50_p90(ack, labels)
        ),
        "timezones": Series(
            "Acknowledged pages per responder time zone",
            "pages",
            ("pages",),
            tuple((tz, (float(n),)) for tz, n in stats.per_tz),
        ),
        "pings": Series(
            "Pings per person (fairness)",
            "pings",
            ("pings",),
            tuple((who, (float(n),)) for who, n in stats.pings),
        ),
    }
