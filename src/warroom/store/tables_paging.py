"""Tables of paging: pages sent to vendors, snoozes, the on-call cache, the rotation's
roster, pages, their events and references."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from warroom.store.tables_base import Base, UTCDateTime


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
