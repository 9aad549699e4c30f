"""Action items of incidents. Takes `*, session`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, tuple_
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


def many(items: Iterable[tuple[int, int]], *, session: Session) -> dict[tuple[int, int], Action]:
    """The action items (incident ID, number) named, in one query; those missing are left out."""
    wanted = list(items)
    if not wanted:
        return {}
    rows = session.scalars(
        select(ActionItemRow).where(
            tuple_(ActionItemRow.incident_id, ActionItemRow.number).in_(wanted)
        )
    )
    return {(r.incident_id, r.number): _core(r) for r in rows}


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


def to_follow(*, closed_by: str, since: datetime, session: Session) -> list[Action]:
    """Action items whose tracker issue is followed: open ones with a link, and those the
    tracker closed (`done_by` is `closed_by`) after `since` (they reopen with their issue);
    the oldest first."""
    rows = session.scalars(
        select(ActionItemRow)
        .where(ActionItemRow.link.is_not(None))
        .where(
            or_(
                ActionItemRow.done_at.is_(None),
                and_(ActionItemRow.done_by == closed_by, ActionItemRow.done_at >= since),
            )
        )
        .order_by(ActionItemRow.created_at, ActionItemRow.incident_id, ActionItemRow.number)
    )
    return [_core(r) for r in rows]


def reopen(incident_id: int, number: int, *, session: Session) -> None:
    row = session.get(ActionItemRow, (incident_id, number))
    if row is not None:
        row.done_at, row.done_by = None, None
        session.flush()


def unlinked(*, since: datetime, before: datetime, session: Session) -> list[Action]:
    """Open action items recorded between `since` and `before` that have no tracker issue."""
    rows = session.scalars(
        select(ActionItemRow)
        .where(ActionItemRow.link.is_(None), ActionItemRow.done_at.is_(None))
        .where(ActionItemRow.created_at >= since, ActionItemRow.created_at < before)
        .order_by(ActionItemRow.created_at, ActionItemRow.incident_id, ActionItemRow.number)
    )
    return [_core(r) for r in rows]
