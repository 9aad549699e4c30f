"""Tables of impact and SLOs: declared impact, per-minute SLO counts, SLO alerts, and
action items."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from warroom.store.tables_base import Base, UTCDateTime


class ImpactRow(Base):
    """A service an incident hurts: `level` full or partial (`incident impact`)."""

    __tablename__ = "incident_impacts"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    service: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
    level: Mapped[str] = mapped_column(String(16))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SloMinutesRow(Base):
    """One service-day of probe samples: byte i of `good`/`total` is minute i (UTC), so a day
    is 2,880 bytes; the sums spare reading the bytes of whole days."""

    __tablename__ = "slo_minutes"

    service: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)  # days since 1970-01-01
    good: Mapped[bytes] = mapped_column(LargeBinary)
    total: Mapped[bytes] = mapped_column(LargeBinary)
    good_sum: Mapped[int] = mapped_column(Integer)
    total_sum: Mapped[int] = mapped_column(Integer)
    known: Mapped[int] = mapped_column(Integer)


class SloAlertRow(Base):
    """A burn-rate alert episode; `open_key` (service:rule) is set while it is open, so an
    episode opens once however many replicas evaluate it."""

    __tablename__ = "slo_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service: Mapped[str] = mapped_column(String(40))
    rule: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    burn: Mapped[float] = mapped_column(Float)
    open_key: Mapped[str | None] = mapped_column(String(100), unique=True)


class ActionItemRow(Base):
    __tablename__ = "action_items"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by: Mapped[str | None] = mapped_column(String(200))
    link: Mapped[str | None] = mapped_column(String(500))
