"""API tokens: stored as the sha256 of a 256-bit random secret, never the secret itself."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from warroom.store.tables import ApiTokenRow

SCOPES = ("read", "respond", "deploy", "admin")
PREFIX = "wr_"


class TokenError(Exception):
    pass


@dataclass(frozen=True)
class Token:
    name: str
    scope: str
    created_at: datetime
    last_used_at: datetime | None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create(name: str, scope: str, now: datetime, *, session: Session) -> str:
    """A new token's secret: shown once, stored only as its digest."""
    if scope not in SCOPES:
        raise TokenError(f"`{scope}` is not a scope: {', '.join(SCOPES)}.")
    if not name or len(name) > 100 or not name.replace("-", "").replace("_", "").isalnum():
        raise TokenError("Name the token with letters, digits, - and _ (at most 100).")
    secret = PREFIX + secrets.token_urlsafe(32)
    try:
        with session.begin_nested():
            session.add(ApiTokenRow(name=name, scope=scope, digest=digest(secret), created_at=now))
    except IntegrityError:
        raise TokenError(f"A token named `{name}` exists; revoke it first.") from None
    return secret


def verify(secret: str, *, session: Session) -> Token | None:
    """The token whose digest matches, compared in constant time."""
    wanted = digest(secret)
    row = session.scalar(select(ApiTokenRow).where(ApiTokenRow.digest == wanted))
    if row is None or not hmac.compare_digest(row.digest, wanted):
        return None
    return Token(row.name, row.scope, row.created_at, row.last_used_at)


def listed(*, session: Session) -> list[Token]:
    rows = session.scalars(select(ApiTokenRow).order_by(ApiTokenRow.name))
    return [Token(r.name, r.scope, r.created_at, r.last_used_at) for r in rows]


def revoke(name: str, *, session: Session) -> bool:
    gone = session.scalars(
        delete(ApiTokenRow).where(ApiTokenRow.name == name).returning(ApiTokenRow.id)
    ).all()
    return bool(gone)
