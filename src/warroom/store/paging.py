"""Pages, snoozes and the on-call cache. Functions take `*, session`."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.core.oncall import OPEN, Contact, PageStatus
from warroom.store.tables import OnCallCacheRow, PageRow, SnoozeRow


def contacts_json(people: list[Contact]) -> str:
    return json.dumps([asdict(p) for p in people], ensure_ascii=False)


def contacts_from_json(raw: str) -> list[Contact]:
    return [Contact(**item) for item in json.loads(raw)]


@dataclass(frozen=True)
class Page:
    id: int
    incident_id: int | None
    platform: str
    channel: str
    provider: str
    target: str
    dedup_key: str
    summary: str
    people: list[Contact]
    schedules: list[str]
    status: PageStatus
    created_by: str
    created_at: datetime
    error: str | None


def _page(row: PageRow) -> Page:
    return Page(
        id=row.id,
        incident_id=row.incident_id,
        platform=row.platform,
        channel=row.channel,
        provider=row.provider,
        target=row.target,
        dedup_key=row.dedup_key,
        summary=row.summary,
        people=contacts_from_json(row.people),
        schedules=json.loads(row.schedules),
        status=PageStatus(row.status),
        created_by=row.created_by,
        created_at=row.created_at,
        error=row.error,
    )


def add_page(
    *,
    incident_id: int | None,
    platform: str,
    channel: str,
    provider: str,
    target: str,
    summary: str,
    people: list[Contact],
    schedules: list[str],
    created_by: str,
    now: datetime,
    session: Session,
) -> PageRow:
    """Insert a page in TRIGGERING; the caller sets `dedup_key` once the ID is known."""
    row = PageRow(
        incident_id=incident_id,
        platform=platform,
        channel=channel,
        provider=provider,
        target=target,
        dedup_key="",
        summary=summary,
        people=contacts_json(people),
        schedules=json.dumps(schedules),
        status=PageStatus.TRIGGERING.value,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def get_page(page_id: int, *, session: Session, for_update: bool = False) -> Page | None:
    """`for_update`: lock the row until the transaction ends (PostgreSQL; SQLite has a single
    writer), so two outcomes of one page (a slow try's notice, its answer) do not overwrite
    each other's status."""
    row = session.get(PageRow, page_id, with_for_update=for_update or None)
    return _page(row) if row else None


def open_with_key(dedup_key: str, *, session: Session) -> Page | None:
    row = session.scalar(
        select(PageRow)
        .where(PageRow.dedup_key == dedup_key, PageRow.status.in_([s.value for s in OPEN]))
        .order_by(PageRow.id.desc())
    )
    return _page(row) if row else None


def open_pages(limit: int, *, session: Session) -> list[Page]:
    rows = session.scalars(
        select(PageRow)
        .where(PageRow.status.in_([s.value for s in OPEN]))
        .order_by(PageRow.id)
        .limit(limit)
    )
    return [_page(r) for r in rows]


def set_status(
    page_id: int, status: PageStatus, error: str | None, now: datetime, *, session: Session
) -> None:
    row = session.get(PageRow, page_id)
    if row is None:
        raise LookupError(f"page {page_id} is not stored")
    row.status = status.value
    row.error = error
    row.updated_at = now


def snooze(platform: str, user: str, until: datetime, *, session: Session) -> None:
    row = session.get(SnoozeRow, (platform, user))
    if row is None:
        session.add(SnoozeRow(platform=platform, user=user, until=until))
    else:
        row.until = until


def unsnooze(platform: str, user: str, *, session: Session) -> bool:
    row = session.get(SnoozeRow, (platform, user))
    if row is None:
        return False
    session.delete(row)
    return True


def snoozed_users(now: datetime, *, session: Session) -> frozenset[str]:
    """Everyone who said `pager stfu` and is still snoozed at `now` (lowercase handles)."""
    rows = session.scalars(select(SnoozeRow.user).where(SnoozeRow.until > now))
    return frozenset(user.lower() for user in rows)


def snoozed_until(platform: str, user: str, now: datetime, *, session: Session) -> datetime | None:
    """When `pager stfu` ends for this person, or None when they are not snoozed."""
    row = session.get(SnoozeRow, (platform, user))
    if row is None or row.until <= now:
        return None
    return row.until


@dataclass(frozen=True)
class Cached:
    people: list[Contact] | None  # None: never fetched successfully
    fetched_at: datetime | None
    attempted_at: datetime
    error: str | None


def cached(provider: str, schedule: str, *, session: Session) -> Cached | None:
    row = session.get(OnCallCacheRow, (provider, schedule))
    if row is None:
        return None
    people = contacts_from_json(row.people) if row.people is not None else None
    return Cached(people, row.fetched_at, row.attempted_at, row.error)


def store_oncall(
    provider: str,
    schedule: str,
    *,
    people: list[Contact] | None,
    error: str | None,
    now: datetime,
    session: Session,
) -> None:
    """Record a refresh: `people` when it worked; else only the error (the old answer stays)."""
    row = session.get(OnCallCacheRow, (provider, schedule))
    if row is None:
        row = OnCallCacheRow(provider=provider, schedule=schedule, attempted_at=now)
        session.add(row)
    row.attempted_at = now
    row.error = error
    if people is not None:
        row.people = contacts_json(people)
        row.fetched_at = now
