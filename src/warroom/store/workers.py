"""Processes and their heartbeats: one `workers` row per running process, its `beat_at`
renewed every second or so. A process whose heartbeat is older than `dead_after` is dead: its
claimed timers and the outbox rows it created but did not deliver are taken over at once,
without waiting for their leases."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from warroom.store.tables import Base, UTCDateTime

# This process, as the outbox rows it creates and the timers it claims name it.
PROCESS = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"[:100]
FORGET_AFTER = timedelta(hours=1)  # a dead process's row is deleted after this


class WorkerRow(Base):
    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)


def beat(worker: str, now: datetime, *, session: Session) -> None:
    """Record that `worker` is alive now (registering it on its first beat)."""
    found = session.execute(
        update(WorkerRow).where(WorkerRow.id == worker).values(beat_at=now)
    ).rowcount  # type: ignore[attr-defined]
    if not found:
        session.add(
            WorkerRow(
                id=worker, host=socket.gethostname(), pid=os.getpid(), started_at=now, beat_at=now
            )
        )
        session.flush()


def gone(worker: str, *, session: Session) -> None:
    """`worker` stops cleanly."""
    session.execute(delete(WorkerRow).where(WorkerRow.id == worker))


def dead(now: datetime, dead_after: timedelta) -> Any:
    """The IDs of the processes whose heartbeat stopped (a sub-select); never this one, which
    may only have been kept from beating (the database away)."""
    return select(WorkerRow.id).where(WorkerRow.beat_at < now - dead_after, WorkerRow.id != PROCESS)


def forget_dead(now: datetime, *, session: Session) -> int:
    result = session.execute(delete(WorkerRow).where(WorkerRow.beat_at < now - FORGET_AFTER))
    return int(getattr(result, "rowcount", 0))


def alive(now: datetime, dead_after: timedelta, *, session: Session) -> list[str]:
    rows = session.scalars(
        select(WorkerRow.id).where(WorkerRow.beat_at >= now - dead_after).order_by(WorkerRow.id)
    )
    return list(rows)
