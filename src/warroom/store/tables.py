"""Tables. The schema itself is created and changed only by the migrations in `migrations/`.
The newer domains' tables live in the sibling `tables_*` modules; they are imported here so
that `Base.metadata` holds every table and their names import from here as before."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from warroom.store.tables_base import Base, UTCDateTime
from warroom.store.tables_ops import AlertRow, ApiTokenRow, DeployLockRow, MatrixSyncRow
from warroom.store.tables_paging import (
    OnCallCacheRow,
    PageEventRow,
    PageRefRow,
    PageRow,
    RosterRow,
    RotationPageRow,
    SnoozeRow,
)
from warroom.store.tables_slo import ActionItemRow, ImpactRow, SloAlertRow, SloMinutesRow

__all__ = [
    "ActionItemRow",
    "AlertRow",
    "ApiTokenRow",
    "Base",
    "DeployLockRow",
    "EventRow",
    "ImpactRow",
    "IncidentRow",
    "MatrixSyncRow",
    "NoticeRow",
    "OnCallCacheRow",
    "OutboxRow",
    "PageEventRow",
    "PageRefRow",
    "PageRow",
    "ProcessedEventRow",
    "ProviderStatusRow",
    "ReportRow",
    "RosterRow",
    "RotationPageRow",
    "SloAlertRow",
    "SloMinutesRow",
    "SnoozeRow",
    "StalkRow",
    "TimerRow",
    "UTCDateTime",
]


class IncidentRow(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    reporter: Mapped[str] = mapped_column(String(200))
    imoc: Mapped[str] = mapped_column(String(200))
    srm: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    failures_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mitigated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    severity: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (
        # One active incident per channel, enforced by the database even across replicas.
        Index(
            "uq_incidents_active_channel",
            "platform",
            "channel",
            unique=True,
            sqlite_where=stopped_at.is_(None),
            postgresql_where=stopped_at.is_(None),
        ),
        Index("ix_incidents_started_at", "started_at"),
    )


class EventRow(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_events_incident_id", "incident_id", "id"),)


class ReportRow(Base):
    __tablename__ = "reports"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    markdown: Mapped[str] = mapped_column(Text)


class OutboxRow(Base):
    """An effect promised to a user (a post, a topic, a file), delivered after the commit."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    platform: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Set when a sweeper takes over a row its creator did not deliver (several replicas).
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String(100))  # the process (store/workers.py)

    __table_args__ = (
        Index(
            "ix_outbox_pending",
            "id",
            sqlite_where=delivered_at.is_(None),
            postgresql_where=delivered_at.is_(None),
        ),
    )


class TimerRow(Base):
    """A promise to act later: a reminder, a stalking poll. Claimed by one worker at a time."""

    __tablename__ = "timers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    platform: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(200))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    payload: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[int] = mapped_column(Integer, default=0)
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index(
            "ix_timers_pending_due",
            "due_at",
            sqlite_where=fired_at.is_(None) & cancelled_at.is_(None),
            postgresql_where=fired_at.is_(None) & cancelled_at.is_(None),
        ),
        Index("ix_timers_incident_id", "incident_id"),
    )


class StalkRow(Base):
    """`status stalk` in a channel: poll the status and post only changes, until unstalked."""

    __tablename__ = "stalks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(200))
    interval_s: Mapped[int] = mapped_column(Integer)
    started_by: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fingerprint: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index(
            "uq_stalks_active_channel",
            "platform",
            "channel",
            unique=True,
            sqlite_where=stopped_at.is_(None),
            postgresql_where=stopped_at.is_(None),
        ),
    )


class ProviderStatusRow(Base):
    """`status <provider> <status> for <feature>`: a third party's status, as a person saw it."""

    __tablename__ = "provider_statuses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(100))
    feature: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(100))
    reported_by: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProcessedEventRow(Base):
    """A platform event already acted on: a re-sent event (Slack's retries) changes nothing."""

    __tablename__ = "processed_events"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_processed_events_processed_at", "processed_at"),)


class NoticeRow(Base):
    """Someone outside an incident's channel was told about it (Spy's ⚠ notice), and where:
    told once per person per incident, and told again there when it stops."""

    __tablename__ = "notices"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    user: Mapped[str] = mapped_column(String(200), primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(200))
    thread: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
