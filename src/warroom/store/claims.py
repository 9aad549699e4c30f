"""Leased claims on rows, shared by the timer and outbox queues."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

S = TypeVar("S", bound=Select[Any])


def skip_locked(stmt: S, *, session: Session) -> S:
    """On PostgreSQL, rows another transaction is claiming are skipped rather than waited for,
    so replicas take disjoint rows at once. SQLite has a single writer and needs nothing."""
    if session.get_bind().dialect.name == "postgresql":
        return stmt.with_for_update(skip_locked=True)
    return stmt
