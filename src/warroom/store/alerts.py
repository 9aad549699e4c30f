"""Alert groups received from monitoring systems, one row per (source, dedup key)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from warroom.store.tables import AlertRow


@dataclass(frozen=True)
class Alert:
    id: int
    source: str
    dedup_key: str
    route: str
    team: str
    title: str
    status: str
    page_id: int | None
    incident_id: int | None


def _alert(row: AlertRow) -> Alert:
    return Alert(row.id, row.source, row.dedup_key, row.route, row.team, row.title, row.status,
                 row.page_id, row.incident_id)  # fmt: skip


def get(source: str, key: str, *, session: Session, lock: bool = False) -> Alert | None:
    query = select(AlertRow).where(AlertRow.source == source, AlertRow.dedup_key == key)
    if lock:
        query = query.with_for_update()
    row = session.scalar(query)
    return None if row is None else _alert(row)


def add(
    *, source: str, key: str, route: str, team: str, title: str, now: datetime, session: Session
) -> int | None:
    """The new row's ID, or None when another request recorded this key a moment ago."""
    row = AlertRow(source=source, dedup_key=key, route=route, team=team, title=title,
                   status="firing", received_at=now)  # fmt: skip
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row.id


def refire(alert_id: int, title: str, now: datetime, *, session: Session) -> bool:
    """A resolved group firing again: True when this call moved it back to firing."""
    row = session.get(AlertRow, alert_id, with_for_update=True)
    if row is None or row.status != "resolved":
        return False
    row.status, row.title, row.received_at, row.resolved_at = "firing", title, now, None
    row.page_id = row.incident_id = None
    return True


def set_links(alert_id: int, *, page_id: int | None, incident_id: int | None,
              session: Session) -> None:  # fmt: skip
    row = session.get(AlertRow, alert_id)
    if row is not None:
        row.page_id, row.incident_id = page_id, incident_id


def resolve(alert_id: int, now: datetime, *, session: Session) -> bool:
    row = session.get(AlertRow, alert_id, with_for_update=True)
    if row is None or row.status == "resolved":
        return False
    row.status, row.resolved_at = "resolved", now
    return True
