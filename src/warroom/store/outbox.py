"""The outbox: effects committed with the decision that made them, delivered afterwards."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from warroom.store.tables import OutboxRow


def add(platform: str, kind: str, payload: str, now: datetime, *, session: Session) -> int:
    row = OutboxRow(created_at=now, platform=platform, kind=kind, payload=payload, attempts=0)
    session.add(row)
    session.flush()
    return row.id


def add_many(rows: list[tuple[str, str, str]], now: datetime, *, session: Session) -> list[int]:
    """Insert (platform, kind, payload) rows with one flush (one round trip on PostgreSQL);
    returns their IDs in order."""
    added = [
        OutboxRow(created_at=now, platform=p, kind=k, payload=data, attempts=0)
        for p, k, data in rows
    ]
    session.add_all(added)
    session.flush()
    return [row.id for row in added]


def pending(limit: int, *, session: Session) -> list[OutboxRow]:
    return list(
        session.scalars(
            select(OutboxRow)
            .where(OutboxRow.delivered_at.is_(None))
            .order_by(OutboxRow.id)
            .limit(limit)
        )
    )


def mark_delivered(ids: list[int], now: datetime, *, session: Session) -> None:
    if ids:
        session.execute(update(OutboxRow).where(OutboxRow.id.in_(ids)).values(delivered_at=now))


def mark_failed(outbox_id: int, error: str, *, session: Session) -> None:
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == outbox_id)
        .values(attempts=OutboxRow.attempts + 1, last_error=error[:2000])
    )
