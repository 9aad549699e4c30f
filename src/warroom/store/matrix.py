"""The Matrix sync token, per account (several bots may share one database)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from warroom.store.tables import MatrixSyncRow


def sync_token(user_id: str, *, session: Session) -> tuple[str, datetime] | None:
    """The token and when it was stored: events older than that were seen before."""
    row = session.get(MatrixSyncRow, user_id)
    return (row.next_batch, row.updated_at) if row is not None else None


def save_sync_token(user_id: str, token: str, now: datetime, *, session: Session) -> None:
    row = session.get(MatrixSyncRow, user_id)
    if row is None:
        session.add(MatrixSyncRow(user_id=user_id, next_batch=token, updated_at=now))
    else:
        row.next_batch, row.updated_at = token, now
