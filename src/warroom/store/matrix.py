"""The Matrix sync token, per account (several bots may share one database), and the logins
`warroom matrix login` made with a password."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from warroom.store.tables import Base, MatrixSyncRow, UTCDateTime


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


class MatrixAccountRow(Base):
    """A login made once with a password: the access token and device it gave. Kept in the
    database so a restart (or another replica) is the same device, with no password around."""

    __tablename__ = "matrix_accounts"

    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    homeserver: Mapped[str] = mapped_column(String(500))
    access_token: Mapped[str] = mapped_column(Text)
    device_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


def save_account(
    user_id: str, homeserver: str, token: str, device_id: str, now: datetime, *, session: Session
) -> None:
    row = session.get(MatrixAccountRow, user_id)
    if row is None:
        session.add(MatrixAccountRow(user_id=user_id, homeserver=homeserver, access_token=token,
                                     device_id=device_id, created_at=now))  # fmt: skip
        return
    row.homeserver, row.access_token, row.device_id, row.created_at = (
        homeserver, token, device_id, now,
    )  # fmt: skip


def accounts(*, session: Session) -> list[tuple[str, str, str, str]]:
    """(user ID, homeserver, access token, device ID) of every stored login."""
    rows = session.scalars(select(MatrixAccountRow).order_by(MatrixAccountRow.user_id))
    return [(r.user_id, r.homeserver, r.access_token, r.device_id) for r in rows]
