"""Tables. The schema itself is created and changed only by the migrations in `migrations/`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_name)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


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


class PageRow(Base):
    """A page: who was paged through which provider, under which dedup key, and how it went."""

    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))
    platform: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(200))  # where it was asked for
    provider: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(200))  # commanders, a team, @someone
    dedup_key: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    people: Mapped[str] = mapped_column(Text)  # JSON: the contacts, for "call them: ..."
    schedules: Mapped[str] = mapped_column(Text)  # JSON list
    status: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_pages_dedup_key", "dedup_key"),
        Index("ix_pages_status", "status"),
    )


class SnoozeRow(Base):
    """`pager stfu`: the bot does not ping this person (reminders, rotation pings) until then."""

    __tablename__ = "snoozes"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    user: Mapped[str] = mapped_column(String(200), primary_key=True)
    until: Mapped[datetime] = mapped_column(UTCDateTime)


class OnCallCacheRow(Base):
    """The last answer of a provider for one schedule, so `!ir` works while it is down."""

    __tablename__ = "oncall_cache"

    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    schedule: Mapped[str] = mapped_column(String(200), primary_key=True)
    people: Mapped[str | None] = mapped_column(Text)  # JSON list of contacts; None: never fetched
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)  # of the last attempt; None when it worked


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


class RosterRow(Base):
    """An engineer (or a manager) of the fair rotation, with their place in the queue."""

    __tablename__ = "roster"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    handle: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    tz: Mapped[str] = mapped_column(String(64), default="UTC")
    country: Mapped[str] = mapped_column(String(8), default="")
    manager: Mapped[bool] = mapped_column(Boolean, default=False)
    turns: Mapped[int] = mapped_column(Integer, default=0)
    pings: Mapped[int] = mapped_column(Integer, default=0)
    acks: Mapped[int] = mapped_column(Integer, default=0)
    last_turn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RotationPageRow(Base):
    """`devoncall ...`: one call for an on-call engineer, from trigger to ACK."""

    __tablename__ = "rotation_pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(200))
    thread: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    triggered_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    step: Mapped[int] = mapped_column(Integer, default=0)  # pick steps done
    engineers: Mapped[int] = mapped_column(Integer, default=0)  # engineers pinged
    managers_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acked_by: Mapped[str | None] = mapped_column(String(200))
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_rotation_pages_created_at", "created_at"),)


class PageEventRow(Base):
    """The timeline of a page: triggered, ping, escalated, managers, nobody online, ack."""

    __tablename__ = "rotation_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("rotation_pages.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_rotation_events_page_id", "page_id", "id"),)


class PageRefRow(Base):
    """Messages whose 👀 acknowledges a page: the trigger and every ping."""

    __tablename__ = "rotation_refs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str] = mapped_column(String(200))
    page_id: Mapped[int] = mapped_column(ForeignKey("rotation_pages.id", ondelete="CASCADE"))

    __table_args__ = (UniqueConstraint("platform", "ref", name="uq_rotation_refs_platform_ref"),)


class DeployLockRow(Base):
    """One row per locked stack: the primary key makes two lockers at once one winner."""

    __tablename__ = "deploy_locks"

    stack: Mapped[str] = mapped_column(String(200), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    incident_id: Mapped[int | None] = mapped_column(Integer)
    platform: Mapped[str] = mapped_column(String(32), default="")


class ApiTokenRow(Base):
    """An API token: its name, scope and the sha256 of the secret (never the secret)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    scope: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AlertRow(Base):
    """An alert group from a monitoring system, once per dedup key (Alertmanager's groupKey)."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(32))
    dedup_key: Mapped[str] = mapped_column(String(500))
    route: Mapped[str] = mapped_column(String(100))
    team: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    page_id: Mapped[int | None] = mapped_column(Integer)
    incident_id: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("source", "dedup_key", name="uq_alerts_source_key"),)


class MatrixSyncRow(Base):
    """Where the Matrix account's /sync stopped: a restart goes on from there, so it neither
    replays history nor misses what was said while it was down."""

    __tablename__ = "matrix_sync"

    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    next_batch: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


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
