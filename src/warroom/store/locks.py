"""Deploy locks: one row per stack. Taking a lock is one INSERT ... ON CONFLICT DO NOTHING and
releasing it one DELETE, so two replicas racing for a stack get one winner."""

from __future__ import annotations

import itertools

from sqlalchemy import delete, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from warroom.core.locks import Lock
from warroom.store.tables import DeployLockRow

_commits = itertools.count(1)
_generation = [0]


def generation() -> int:
    """Bumped after every commit in this process that took or released a lock: a cache of the
    locks (web/lockview.py) that read them at an older generation reads them again."""
    return _generation[0]


def _bump(_: Session) -> None:
    _generation[0] = next(_commits)


def _changed(session: Session) -> None:
    event.listen(session, "after_commit", _bump, once=True)


def _lock(row: DeployLockRow) -> Lock:
    return Lock(row.stack, row.holder, row.reason, row.since, row.incident_id)


def take(lock: Lock, platform: str, *, session: Session) -> bool:
    """True when this call took the lock; False when the stack was already locked."""
    values = {
        "stack": lock.stack,
        "holder": lock.holder,
        "reason": lock.reason,
        "since": lock.since,
        "incident_id": lock.incident_id,
        "platform": platform,
    }
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = (
        insert(DeployLockRow)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["stack"])
        .returning(DeployLockRow.stack)
    )
    taken = session.execute(stmt).first() is not None
    if taken:
        _changed(session)
    return taken


def release(stack: str, *, session: Session) -> Lock | None:
    """Remove the lock; returns what it was, or None when the stack was not locked."""
    row = session.execute(
        delete(DeployLockRow)
        .where(DeployLockRow.stack == stack)
        .returning(
            DeployLockRow.stack,
            DeployLockRow.holder,
            DeployLockRow.reason,
            DeployLockRow.since,
            DeployLockRow.incident_id,
        )
    ).first()
    if row is None:
        return None
    _changed(session)
    return Lock(*row)


def get(stack: str, *, session: Session) -> Lock | None:
    row = session.get(DeployLockRow, stack)
    return None if row is None else _lock(row)


def held(*, session: Session) -> list[Lock]:
    rows = session.scalars(select(DeployLockRow).order_by(DeployLockRow.stack))
    return [_lock(r) for r in rows]


def of_incident(incident_id: int, *, session: Session) -> list[Lock]:
    rows = session.scalars(
        select(DeployLockRow)
        .where(DeployLockRow.incident_id == incident_id)
        .order_by(DeployLockRow.stack)
    )
    return [_lock(r) for r in rows]


def count(*, session: Session) -> int:
    return session.scalar(select(func.count()).select_from(DeployLockRow)) or 0
