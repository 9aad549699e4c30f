"""Stalks and third-party statuses."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.store.tables import ProviderStatusRow, StalkRow


def active_stalk(platform: str, channel: str, *, session: Session) -> StalkRow | None:
    return session.scalar(
        select(StalkRow).where(
            StalkRow.platform == platform,
            StalkRow.channel == channel,
            StalkRow.stopped_at.is_(None),
        )
    )


def add_stalk(
    platform: str, channel: str, interval: int, user: str, now: datetime, *, session: Session
) -> StalkRow:
    row = StalkRow(
        platform=platform, channel=channel, interval_s=interval, started_by=user, started_at=now
    )
    session.add(row)
    session.flush()
    return row


def get_stalk(stalk_id: int, *, session: Session) -> StalkRow | None:
    return session.get(StalkRow, stalk_id)


def fingerprint(row: StalkRow) -> dict[str, str] | None:
    return json.loads(row.fingerprint) if row.fingerprint else None


def set_fingerprint(row: StalkRow, marks: dict[str, str]) -> None:
    row.fingerprint = json.dumps(marks, sort_keys=True)


def add_provider_status(
    provider: str, status: str, feature: str, user: str, now: datetime, *, session: Session
) -> None:
    session.add(
        ProviderStatusRow(
            provider=provider, status=status, feature=feature, reported_by=user, at=now
        )
    )


def recent_provider_statuses(
    now: datetime, within: timedelta, *, session: Session
) -> list[ProviderStatusRow]:
    """The latest report per (provider, feature) from the last `within`."""
    rows = session.scalars(
        select(ProviderStatusRow)
        .where(ProviderStatusRow.at >= now - within)
        .order_by(ProviderStatusRow.id)
    )
    latest: dict[tuple[str, str], ProviderStatusRow] = {}
    for row in rows:
        latest[(row.provider, row.feature.lower())] = row
    return list(latest.values())
