"""The outbox: effects committed with the decision that made them, delivered afterwards."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from warroom.store import workers
from warroom.store.claims import skip_locked
from warroom.store.tables import OutboxRow, UTCDateTime

MAX_ATTEMPTS = 20  # then the row stays, with its last error, for a person to look at


def add_many(rows: list[tuple[str, str, str]], now: datetime, *, session: Session) -> list[int]:
    """Insert (platform, kind, payload) rows in one statement; their IDs, in order."""
    if not rows:
        return []
    session.flush()  # the ORM's pending rows (events) go first, in the same transaction
    values = [
        {
            "created_at": now,
            "platform": p,
            "kind": k,
            "payload": d,
            "attempts": 0,
            "created_by": workers.PROCESS,
        }
        for p, k, d in rows
    ]
    if len(values) == 1:  # the common case: one reply; a constant statement, compiled once
        return [int(session.execute(_INSERT_ONE, values[0]).scalar_one())]
    # On the table, not the ORM class: the ORM's bulk path costs more than the insert.
    result = session.execute(_INSERT_MANY, values)
    return [int(i) for i in result.scalars()]


_TABLE = cast(Table, OutboxRow.__table__)
_INSERT_ONE = insert(_TABLE).returning(_TABLE.c.id)
_INSERT_MANY = insert(_TABLE).returning(_TABLE.c.id, sort_by_parameter_order=True)
_MARK_DELIVERED = (
    update(_TABLE)
    .where(_TABLE.c.id.in_(bindparam("ids", expanding=True)))
    .values(delivered_at=bindparam("now", type_=UTCDateTime()))
)


def claim_pending(
    *,
    now: datetime,
    older_than: timedelta,
    lease: timedelta,
    limit: int,
    session: Session,
    dead_after: timedelta | None = None,
) -> list[tuple[int, str, str, str]]:
    """Take undelivered rows that their creator did not deliver within `older_than`, or (with
    `dead_after`) whose creator's heartbeat stopped (it died; or this is start-up): (id,
    platform, kind, payload), oldest first. Replicas take disjoint rows; a claim lapses after
    `lease`."""
    left = OutboxRow.created_at <= now - older_than
    if dead_after is not None:
        left = left | OutboxRow.created_by.in_(workers.dead(now, dead_after))
    stale = (
        select(OutboxRow.id)
        .where(
            OutboxRow.delivered_at.is_(None),
            left,
            OutboxRow.attempts < MAX_ATTEMPTS,
            OutboxRow.claimed_until.is_(None) | (OutboxRow.claimed_until < now),
        )
        .order_by(OutboxRow.id)
        .limit(limit)
    )
    stale = skip_locked(stale, session=session)
    rows = session.execute(
        update(OutboxRow)
        .where(OutboxRow.id.in_(stale.scalar_subquery()))
        .values(claimed_until=now + lease)
        .returning(OutboxRow.id, OutboxRow.platform, OutboxRow.kind, OutboxRow.payload)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted((r[0], r[1], r[2], r[3]) for r in rows)


def mark_delivered(ids: list[int], now: datetime, *, session: Session) -> None:
    if ids:
        session.execute(_MARK_DELIVERED, {"ids": ids, "now": now})


def mark_failed(outbox_id: int, error: str, *, session: Session) -> None:
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == outbox_id)
        .values(attempts=OutboxRow.attempts + 1, last_error=error[:2000])
    )
