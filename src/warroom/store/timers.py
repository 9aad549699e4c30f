"""Timers: rows with a due time. Claimed atomically with a lease; fired once, with a fence.

Claiming is one UPDATE over a sub-select of due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL,
so replicas take disjoint rows without waiting; SQLite has a single writer). Each claim bumps
`claim_token`; firing is an UPDATE that must still see the token it claimed with and no
`fired_at`, in the same transaction as the effects. A worker whose lease ran out and was
overtaken finds its token stale and fires nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, select, type_coerce, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from warroom.store import workers
from warroom.store.claims import skip_locked
from warroom.store.tables import TimerRow, UTCDateTime


@dataclass(frozen=True)
class Claimed:
    id: int
    token: int
    key: str
    kind: str
    due_at: datetime
    platform: str
    channel: str | None
    incident_id: int | None
    payload: dict[str, Any]


_SCHEDULED = "warroom.timers.earliest_scheduled"


def scheduled_in(session: Session) -> datetime | None:
    """The earliest due time of the timers this session's transaction scheduled (and forget
    it): after the commit, a sleeping worker is woken only when there is something to wake
    for, not after every command."""
    due: datetime | None = session.info.pop(_SCHEDULED, None)
    return due


def _pending() -> Any:
    return TimerRow.fired_at.is_(None) & TimerRow.cancelled_at.is_(None)


@dataclass(frozen=True)
class NewTimer:
    key: str
    kind: str
    due_at: datetime
    platform: str
    channel: str | None = None
    incident_id: int | None = None
    payload: dict[str, Any] | None = None


_TABLE = cast(Table, TimerRow.__table__)
# One statement per dialect: a timer whose key exists is left as it is (no read first, no ORM
# flush: an incident start schedules all its reminders in one round trip).
_INSERT_NEW = {
    "postgresql": pg_insert(_TABLE).on_conflict_do_nothing(index_elements=["key"]),
    "sqlite": sqlite_insert(_TABLE).on_conflict_do_nothing(index_elements=["key"]),
}


def schedule(
    *,
    key: str,
    kind: str,
    due_at: datetime,
    platform: str,
    now: datetime,
    session: Session,
    channel: str | None = None,
    incident_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    """Insert a timer unless one with `key` exists."""
    schedule_many(
        [NewTimer(key, kind, due_at, platform, channel, incident_id, payload)],
        now=now,
        session=session,
    )


def schedule_next_slot(
    *,
    prefix: str,
    kind: str,
    every: int,
    after: datetime,
    platform: str,
    now: datetime,
    session: Session,
    payload: dict[str, Any] | None = None,
) -> None:
    """A recurring timer's next firing: due at the next multiple of `every` seconds after
    `after`, keyed `<prefix>@<slot>`, so a restart or a second replica schedules a slot once."""
    slot = int(after.timestamp()) // every + 1
    schedule(
        key=f"{prefix}@{slot}", kind=kind,
        due_at=datetime.fromtimestamp(slot * every, tz=after.tzinfo), platform=platform,
        now=now, session=session, payload=payload,
    )  # fmt: skip


def schedule_many(new: Sequence[NewTimer], *, now: datetime, session: Session) -> None:
    """Insert timers, leaving alone those whose key exists, in one statement."""
    if not new:
        return
    params = [
        {
            "key": t.key,
            "kind": t.kind,
            "due_at": t.due_at,
            "platform": t.platform,
            "channel": t.channel,
            "incident_id": t.incident_id,
            "payload": json.dumps(t.payload or {}),
            "created_at": now,
            "claim_token": 0,
        }
        for t in new
    ]
    statement = _INSERT_NEW[session.get_bind().dialect.name]
    session.execute(statement, params[0] if len(params) == 1 else params)
    due_at = min(t.due_at for t in new)
    earliest = session.info.get(_SCHEDULED)
    if earliest is None or due_at < earliest:
        session.info[_SCHEDULED] = due_at


def claim_due(
    *,
    worker: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    session: Session,
    dead_after: timedelta | None = None,
) -> list[Claimed]:
    """Claim up to `limit` due timers: unclaimed ones, those whose lease ran out, and (with
    `dead_after`) those of a process whose heartbeat stopped (store/workers.py)."""
    free = (TimerRow.claimed_until.is_(None)) | (TimerRow.claimed_until < now)
    if dead_after is not None:
        free = free | TimerRow.claimed_by.in_(workers.dead(now, dead_after))
    due = (
        select(TimerRow.id)
        .where(_pending(), TimerRow.due_at <= now, free)
        .order_by(TimerRow.due_at)
        .limit(limit)
    )
    due = skip_locked(due, session=session)
    rows = session.execute(
        update(TimerRow)
        .where(TimerRow.id.in_(due.scalar_subquery()))
        .values(claimed_by=worker, claimed_until=now + lease, claim_token=TimerRow.claim_token + 1)
        .returning(
            TimerRow.id,
            TimerRow.claim_token,
            TimerRow.key,
            TimerRow.kind,
            TimerRow.due_at,
            TimerRow.platform,
            TimerRow.channel,
            TimerRow.incident_id,
            TimerRow.payload,
        )
        .execution_options(synchronize_session=False)
    ).all()
    claimed = [
        Claimed(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], json.loads(r[8])) for r in rows
    ]
    return sorted(claimed, key=lambda c: (c.due_at, c.id))


def renew(
    worker: str, ids: Sequence[int], now: datetime, lease: timedelta, *, session: Session
) -> int:
    """Extend the leases of timers `ids` that `worker` holds and is firing (its heartbeat)."""
    if not ids:
        return 0
    result = session.execute(
        update(TimerRow)
        .where(TimerRow.id.in_(list(ids)), TimerRow.claimed_by == worker, _pending())
        .values(claimed_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


def release(worker: str, *, session: Session, ids: Sequence[int] | None = None) -> int:
    """Timers `worker` claimed but did not fire (`ids` of them, or all when it stops) are free
    for anyone at once."""
    stmt = update(TimerRow).where(TimerRow.claimed_by == worker, _pending())
    if ids is not None:
        stmt = stmt.where(TimerRow.id.in_(list(ids)))
    result = session.execute(
        stmt.values(claimed_until=None).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


def mark_fired_many(claimed: list[Claimed], now: datetime, *, session: Session) -> set[int]:
    """Fence and fire a batch: the IDs whose claim still holds and which had not fired."""
    if not claimed:
        return set()
    tokens = {t.id: t.token for t in claimed}
    rows = session.execute(
        update(TimerRow)
        .where(TimerRow.id.in_(list(tokens)), _pending())
        .values(fired_at=now)
        .returning(TimerRow.id, TimerRow.claim_token)
        .execution_options(synchronize_session=False)
    ).all()
    held = {timer_id for timer_id, token in rows if tokens[timer_id] == token}
    stale = [timer_id for timer_id, token in rows if tokens[timer_id] != token]
    if stale:  # another worker holds these now: leave them to it
        unfire(stale, session=session)
    return held


def unfire(ids: list[int], *, session: Session) -> None:
    session.execute(
        update(TimerRow)
        .where(TimerRow.id.in_(ids))
        .values(fired_at=None)
        .execution_options(synchronize_session=False)
    )


def cancel(
    *,
    now: datetime,
    session: Session,
    incident_id: int | None = None,
    key_prefix: str | None = None,
) -> int:
    """Cancel pending timers of an incident, or whose key starts with `key_prefix`."""
    stmt = update(TimerRow).where(_pending())
    if incident_id is not None:
        stmt = stmt.where(TimerRow.incident_id == incident_id)
    if key_prefix is not None:
        stmt = stmt.where(TimerRow.key.startswith(key_prefix, autoescape=True))
    result = session.execute(
        stmt.values(cancelled_at=now).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


def next_due(*, now: datetime, session: Session) -> datetime | None:
    """When the next timer can be claimed: its due time, or, while another worker holds it
    under a live lease, the end of that lease (so nobody spins on a timer it cannot take).

    Two index walks, not a scan of every pending timer (the worker asks twice a second): the
    first unleased timer in due order (`ix_timers_pending_due`), and the earliest lease end
    among timers already due (only those are ever claimed, and they are few)."""
    unleased = (
        select(TimerRow.due_at)
        .where(_pending(), (TimerRow.claimed_until.is_(None)) | (TimerRow.claimed_until <= now))
        .order_by(TimerRow.due_at)
        .limit(1)
        .scalar_subquery()
    )
    leased = (
        select(func.min(TimerRow.claimed_until))
        .where(_pending(), TimerRow.due_at <= now, TimerRow.claimed_until > now)
        .scalar_subquery()
    )
    row = session.execute(
        select(type_coerce(unleased, UTCDateTime), type_coerce(leased, UTCDateTime))
    ).one()
    found = [when for when in row if when is not None]
    return min(found) if found else None


def pending_count(*, session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(TimerRow).where(_pending())) or 0)
