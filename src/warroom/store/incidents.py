"""Incident repository: loads and saves core incidents and their timelines. Takes `*, session`."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.orm import Session

from warroom.core.incident import Event, EventKind, Incident
from warroom.store.tables import EventRow, IncidentRow, ReportRow


def _to_core(row: IncidentRow | Any) -> Incident:
    """From an ORM row or a plain result row (same attribute names)."""
    return Incident(
        id=row.id,
        platform=row.platform,
        channel=row.channel,
        summary=row.summary,
        reporter=row.reporter,
        imoc=row.imoc,
        srm=row.srm,
        started_at=row.started_at,
        failures_started_at=row.failures_started_at,
        mitigated_at=row.mitigated_at,
        stopped_at=row.stopped_at,
        severity=row.severity,
    )


def add(incident: Incident, *, session: Session) -> Incident:
    """Insert a new incident; returns it with the ID the database gave it."""
    row = IncidentRow(
        platform=incident.platform,
        channel=incident.channel,
        summary=incident.summary,
        reporter=incident.reporter,
        imoc=incident.imoc,
        srm=incident.srm,
        started_at=incident.started_at,
        failures_started_at=incident.failures_started_at,
        mitigated_at=incident.mitigated_at,
        stopped_at=incident.stopped_at,
        severity=incident.severity,
    )
    session.add(row)
    session.flush()
    return replace(incident, id=row.id)


def save(incident: Incident, *, session: Session) -> None:
    row = session.get(IncidentRow, incident.id)
    if row is None:
        raise LookupError(f"incident {incident.id} is not stored")
    row.channel = incident.channel
    row.summary = incident.summary
    row.imoc = incident.imoc
    row.srm = incident.srm
    row.failures_started_at = incident.failures_started_at
    row.mitigated_at = incident.mitigated_at
    row.stopped_at = incident.stopped_at
    row.severity = incident.severity
    session.flush()


def get(incident_id: int, *, session: Session) -> Incident | None:
    row = session.get(IncidentRow, incident_id)
    return _to_core(row) if row else None


def get_many(ids: list[int], *, session: Session) -> dict[int, Incident]:
    rows = session.scalars(select(IncidentRow).where(IncidentRow.id.in_(ids)))
    return {row.id: _to_core(row) for row in rows}


_INCIDENTS = cast(Table, IncidentRow.__table__)
# Every command in an incident channel asks this first: one constant statement, compiled once,
# read as a plain row (the ORM's object loading cost more than the query; bench/).
_ACTIVE_IN = select(_INCIDENTS).where(
    _INCIDENTS.c.platform == bindparam("platform"),
    _INCIDENTS.c.channel == bindparam("channel"),
    _INCIDENTS.c.stopped_at.is_(None),
)


def active_in(platform: str, channel: str, *, session: Session) -> Incident | None:
    row = session.execute(_ACTIVE_IN, {"platform": platform, "channel": channel}).first()
    return _to_core(row) if row else None


def active(*, session: Session) -> list[Incident]:
    rows = session.scalars(
        select(IncidentRow).where(IncidentRow.stopped_at.is_(None)).order_by(IncidentRow.id)
    )
    return [_to_core(r) for r in rows]


def recent(limit: int, *, session: Session) -> list[Incident]:
    rows = session.scalars(select(IncidentRow).order_by(IncidentRow.id.desc()).limit(limit))
    return [_to_core(r) for r in rows]


_INSERT_EVENT = insert(cast(Table, EventRow.__table__))  # the table: the ORM's bulk path costs more


def add_event(incident_id: int, event: Event, *, session: Session) -> None:
    # A plain INSERT: timeline rows are never read back as ORM objects, and leaving nothing
    # pending spares every later lookup in this transaction an autoflush.
    # One constant statement with parameters: compiled once, cached for every later call.
    session.execute(
        _INSERT_EVENT,
        {
            "incident_id": incident_id,
            "at": event.at,
            "actor": event.actor,
            "kind": event.kind.value,
            "text": event.text,
            "subject": event.subject,
        },
    )


def timeline(incident_id: int, *, session: Session) -> list[Event]:
    rows = session.scalars(
        select(EventRow).where(EventRow.incident_id == incident_id).order_by(EventRow.id)
    )
    return [Event(r.at, r.actor, EventKind(r.kind), r.text, r.subject) for r in rows]


def save_report(incident_id: int, markdown: str, now: datetime, *, session: Session) -> None:
    row = session.get(ReportRow, incident_id)
    if row is None:
        session.add(ReportRow(incident_id=incident_id, generated_at=now, markdown=markdown))
    else:
        row.markdown = markdown
        row.generated_at = now


def stored_report(incident_id: int, *, session: Session) -> str | None:
    row = session.get(ReportRow, incident_id)
    return row.markdown if row else None
