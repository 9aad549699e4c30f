"""The installation: a random ID created once per database (by migration 0009), so that dedup
keys made by two databases, or by one database before and after a reset, never collide at a
vendor and a new page is never folded into an old open alert."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from warroom.store.tables import Base, UTCDateTime


class InstallationRow(Base):
    __tablename__ = "installation"
    __table_args__ = (CheckConstraint("id = 1", name="ck_installation_one_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installation_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


def installation_id(session: Session) -> str:
    """This database's installation ID (12 hex digits). The migration creates it; a row lost
    since is created again here, once, also when two processes ask at the same moment."""
    found = session.scalar(select(InstallationRow.installation_id).where(InstallationRow.id == 1))
    if found is not None:
        return found
    try:
        with session.begin_nested():
            session.add(
                InstallationRow(
                    id=1, installation_id=uuid.uuid4().hex[:12], created_at=datetime.now(UTC)
                )
            )
    except IntegrityError:  # another process created it first: theirs is the one
        pass
    created = session.scalar(select(InstallationRow.installation_id).where(InstallationRow.id == 1))
    assert created is not None
    return created
