"""Platform events already acted on, so that a re-sent event has its effect once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from warroom.store.tables import ProcessedEventRow


class AlreadyProcessed(Exception):
    """The event was acted on before; the caller rolls back and does nothing."""


def claim(key: str, now: datetime, *, session: Session) -> None:
    """Record `key` in the caller's transaction, or raise `AlreadyProcessed`. Two replicas
    claiming at once: the database's primary key lets one win."""
    key = key[:255]
    if session.get(ProcessedEventRow, key) is not None:
        raise AlreadyProcessed(key)
    session.add(ProcessedEventRow(key=key[:255], processed_at=now))
    try:
        session.flush()
    except IntegrityError:
        raise AlreadyProcessed(key) from None


def prune(before: datetime, *, session: Session) -> None:
    session.execute(delete(ProcessedEventRow).where(ProcessedEventRow.processed_at < before))
