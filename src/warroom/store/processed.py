"""Platform events already acted on, so that a re-sent event has its effect once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from warroom.store.tables import ProcessedEventRow


class AlreadyProcessed(Exception):
    """The event was acted on before; the caller rolls back and does nothing."""


_INSERT = insert(ProcessedEventRow)


def claim(key: str, now: datetime, *, session: Session) -> None:
    """Record `key` in the caller's transaction, or raise `AlreadyProcessed`. Two replicas
    claiming at once: the database's primary key lets one win. One plain INSERT (no lookup
    first, no ORM object): the duplicate is the rare case, and the caller rolls back."""
    try:
        session.execute(_INSERT, {"key": key[:255], "processed_at": now})
    except IntegrityError:
        raise AlreadyProcessed(key) from None


def prune(before: datetime, *, session: Session) -> None:
    session.execute(delete(ProcessedEventRow).where(ProcessedEventRow.processed_at < before))
