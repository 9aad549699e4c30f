"""Action items of incidents. Takes `*, session`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warroom.core.actions import Action
from warroom.store.tables import ActionItemRow


def _core(row: ActionItemRow | Any) -> Action:
    return Action(
        row.incident_id, row.number, row.text, row.owner, row.created_by, row.created_at,
        row.done_at, row.done_by, row.link,
    )  # fmt: skip


def next_number(incident_id: int, *, session: Session) -> int:
    top = session.scalar(
        select(func.max(ActionItemRow.number)).where(ActionItemRow.incident_id == incident_id)
    )
    return int(top or 0) + 1


def add(action: Action, *, session: Session) -> None:
    session.add(
        ActionItemRow(
            incident_id=action.incident_id, number=action.number, text=action.text,
            owner=action.owner, created_by=action.created_by, created_at=action.created_at,
        )
    )  # fmt: skip
    session.flush()


def of_incident(incident_id: int, *, session: Session) -> list[Action]:
    rows = session.scalars(
        select(ActionItemRow)
        .where(ActionItemRow.incident_id == incident_id)
        .order_by(ActionItemRow.number)
    )
    return [_core(r) for r in rows]


def mark_done(action: Action, *, session: Session) -> None:
    row = session.get(ActionItemRow, (action.incident_id, action.number))
    if row is None:
        raise LookupError(f"action {action.number} of incident {action.incident_id}")
    row.done_at, row.done_by = action.done_at, action.done_by
    session.flush()


def set_link(incident_id: int, number: int, link: str, *, session: Session) -> bool:
    row = session.get(ActionItemRow, (incident_id, number))
    if row is None:
        return False
    row.link = link
    session.flush()
    return True


def set_done_at(incident_id: int, number: int, now: datetime, *, session: Session) -> None:
    row = session.get(ActionItemRow, (incident_id, number))
    if row is not None and row.done_at is None:
        row.done_at = now
