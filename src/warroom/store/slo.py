"""Service levels in the store: the services an incident hurts, probe samples as per-minute
counts (one row per service-day, a byte a minute), and burn-rate alert episodes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from warroom.core.slo import NO_COUNTS, Counts, ImpactSpan, minute_counts
from warroom.store.tables import ImpactRow, IncidentRow, SloAlertRow, SloMinutesRow, UTCDateTime

MINUTES = 1440
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def day_of(at: datetime) -> tuple[int, int]:
    """(days since 1970-01-01, minute of that day), in UTC."""
    seconds = int((at - EPOCH).total_seconds())
    return seconds // 86400, (seconds % 86400) // 60


# Impacts --------------------------------------------------------------------------------------


def set_impact(
    incident_id: int, service: str, level: str, now: datetime, *, session: Session
) -> bool:
    """Record or change the impact; False when it was that already."""
    row = session.get(ImpactRow, (incident_id, service))
    if row is not None and row.level == level:
        return False
    if row is None:
        session.add(ImpactRow(incident_id=incident_id, service=service, level=level, set_at=now))
    else:
        row.level = level
        row.set_at = now
    session.flush()
    return True


def impacts_of(incident_id: int, *, session: Session) -> list[tuple[str, str]]:
    rows = session.execute(
        select(ImpactRow.service, ImpactRow.level)
        .where(ImpactRow.incident_id == incident_id)
        .order_by(ImpactRow.service)
    )
    return [(r.service, r.level) for r in rows]


def impacts_of_many(
    incident_ids: Iterable[int], *, session: Session
) -> dict[int, list[tuple[str, str]]]:
    """(service, level) of each incident's impacts, by incident (one query for a list)."""
    ids = sorted(set(incident_ids))
    found: dict[int, list[tuple[str, str]]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = session.execute(
        select(ImpactRow.incident_id, ImpactRow.service, ImpactRow.level)
        .where(ImpactRow.incident_id.in_(ids))
        .order_by(ImpactRow.incident_id, ImpactRow.service)
    )
    for r in rows:
        found[r.incident_id].append((r.service, r.level))
    return found


def impacts_since(
    services: Iterable[str], since: datetime, *, session: Session
) -> list[ImpactSpan]:
    """Every impact on `services` that may reach past `since`."""
    inc = IncidentRow
    start = func.coalesce(inc.failures_started_at, inc.started_at, type_=UTCDateTime)
    end = func.coalesce(inc.mitigated_at, inc.stopped_at, type_=UTCDateTime)
    rows = session.execute(
        select(
            ImpactRow.service, inc.id, inc.summary, ImpactRow.level,
            start.label("start"), end.label("end"),
        )
        .join(inc, inc.id == ImpactRow.incident_id)
        .where(ImpactRow.service.in_(list(services)))
        .where(or_(inc.mitigated_at.is_(None), inc.mitigated_at >= since))
        .where(or_(inc.stopped_at.is_(None), inc.stopped_at >= since, inc.mitigated_at >= since))
        .order_by(inc.id)
    )  # fmt: skip
    return [ImpactSpan(*row) for row in rows]


# Probe samples -------------------------------------------------------------------------------


def record(samples: dict[str, tuple[int, int]], at: datetime, *, session: Session) -> None:
    """Add (good, total) samples per service to the minute of `at`."""
    day, minute = day_of(at)
    for service, (good, total) in sorted(samples.items()):
        row = session.get(SloMinutesRow, (service, day), with_for_update=True)
        if row is None:
            row = SloMinutesRow(
                service=service, day=day, good=bytes(MINUTES), total=bytes(MINUTES),
                good_sum=0, total_sum=0, known=0,
            )  # fmt: skip
            session.add(row)
        goods, totals = bytearray(row.good), bytearray(row.total)
        if totals[minute] == 0:
            row.known += 1
        new_total = min(255, totals[minute] + total)
        new_good = min(new_total, goods[minute] + good)
        row.total_sum += new_total - totals[minute]
        row.good_sum += new_good - goods[minute]
        goods[minute], totals[minute] = new_good, new_total
        row.good, row.total = bytes(goods), bytes(totals)
    session.flush()


def counts(
    services: list[str], start: datetime, end: datetime, *, session: Session
) -> dict[str, Counts]:
    """Samples of each service in [start, end), minute-aligned: whole days from their sums,
    the first and last day from their bytes."""
    # Whole minutes: the minute `start` falls in is left out unless it starts there, the minute
    # `end` falls in (the current one, still filling) is counted; so a day spans 1,440 minutes.
    d0, m0 = day_of(start + timedelta(seconds=59.999999))
    d1, m1 = day_of(end + timedelta(seconds=59.999999))
    found = dict.fromkeys(services, NO_COUNTS)
    if not services:
        return found
    t = SloMinutesRow
    whole = session.execute(
        select(t.service, func.sum(t.good_sum), func.sum(t.total_sum), func.sum(t.known))
        .where(t.service.in_(services), t.day > d0, t.day < d1)
        .group_by(t.service)
    )
    for service, good, total, known in whole:
        found[service] = Counts(int(good), int(total), int(known))
    edges = session.execute(
        select(t.service, t.day, t.good, t.total).where(
            t.service.in_(services), t.day.in_({d0, d1})
        )
    )
    for e in edges:
        lo = m0 if e.day == d0 else 0
        hi = m1 if e.day == d1 else MINUTES
        found[e.service] += minute_counts(e.good[lo:hi], e.total[lo:hi])
    return found


def forget_before(day: int, *, session: Session) -> int:
    result = session.execute(delete(SloMinutesRow).where(SloMinutesRow.day < day))
    return int(getattr(result, "rowcount", 0) or 0)


# Burn-rate alerts -------------------------------------------------------------------------------


def open_alerts(service: str, *, session: Session) -> dict[str, SloAlertRow]:
    rows = session.scalars(
        select(SloAlertRow).where(SloAlertRow.service == service, SloAlertRow.resolved_at.is_(None))
    )
    return {row.rule: row for row in rows}


@dataclass(frozen=True)
class OpenAlert:
    """A burn-rate alert episode still open: since when, at what burn rate it opened."""

    service: str
    rule: str
    since: datetime
    burn: float


def all_open_alerts(*, session: Session) -> list[OpenAlert]:
    rows = session.scalars(
        select(SloAlertRow)
        .where(SloAlertRow.resolved_at.is_(None))
        .order_by(SloAlertRow.service, SloAlertRow.started_at, SloAlertRow.rule)
    )
    return [OpenAlert(r.service, r.rule, r.started_at, r.burn) for r in rows]


def open_alert(service: str, rule: str, burn: float, now: datetime, *, session: Session) -> bool:
    """Open an episode; False if one is open already (another replica, a re-run)."""
    key = f"{service}:{rule}"
    if session.scalar(select(SloAlertRow.id).where(SloAlertRow.open_key == key)) is not None:
        return False
    session.add(SloAlertRow(service=service, rule=rule, started_at=now, burn=burn, open_key=key))
    session.flush()
    return True


def resolve_alert(service: str, rule: str, now: datetime, *, session: Session) -> bool:
    result = session.execute(
        update(SloAlertRow)
        .where(SloAlertRow.open_key == f"{service}:{rule}")
        .values(resolved_at=now, open_key=None)
    )
    return bool(getattr(result, "rowcount", 0))


def window_days(window: timedelta) -> int:
    return int(window.total_seconds() // 86400) + 1
