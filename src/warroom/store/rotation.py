"""The rotation's rows: roster members, pages, their timeline and acknowledging messages."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from warroom.core.rotation import Member, PageFacts
from warroom.store.tables import PageEventRow, PageRefRow, RosterRow, RotationPageRow

_FIELDS = ("name", "email", "tz", "country", "manager")


def _member(row: RosterRow) -> Member:
    return Member(
        handle=row.handle,
        name=row.name,
        email=row.email,
        tz=row.tz,
        country=row.country,
        manager=row.manager,
        turns=row.turns,
        pings=row.pings,
        last_turn_at=row.last_turn_at,
    )


_COLUMNS = (
    RosterRow.handle,
    RosterRow.name,
    RosterRow.email,
    RosterRow.tz,
    RosterRow.country,
    RosterRow.manager,
    RosterRow.turns,
    RosterRow.pings,
    RosterRow.last_turn_at,
)


def members(*, session: Session) -> list[Member]:
    """Everyone, by handle. Plain rows, not ORM objects: a pick reads the whole roster."""
    rows = session.execute(select(*_COLUMNS).order_by(RosterRow.handle))
    return [Member(*row) for row in rows]


def queue_head(*, offset: int, limit: int, session: Session) -> list[Member]:
    """Engineers in queue order (`core.rotation.queue_key`, which a test holds this to), a
    page at a time: a pick reads the head of the queue, not the whole roster."""
    handle: Any = RosterRow.handle
    if session.get_bind().dialect.name == "postgresql":
        handle = RosterRow.handle.collate("C")  # code-point order, as Python compares
    rows = session.execute(
        select(*_COLUMNS)
        .where(RosterRow.manager.is_(False))
        .order_by(RosterRow.turns, RosterRow.last_turn_at.asc().nulls_first(), handle)
        .offset(offset)
        .limit(limit)
    )
    return [Member(*row) for row in rows]


def managers(*, session: Session) -> list[str]:
    return list(
        session.scalars(
            select(RosterRow.handle).where(RosterRow.manager.is_(True)).order_by(RosterRow.handle)
        )
    )


def has_engineers(*, session: Session) -> bool:
    found = session.scalar(select(RosterRow.id).where(RosterRow.manager.is_(False)).limit(1))
    return found is not None


def member(handle: str, *, session: Session) -> Member | None:
    row = session.scalar(select(RosterRow).where(func.lower(RosterRow.handle) == handle.lower()))
    return _member(row) if row else None


def import_members(
    people: Iterable[Member], *, replace: bool, session: Session
) -> tuple[int, int, int]:
    """Merge (add new, update details of known) or replace the roster; queue places of people
    who stay are kept, so an import never resets fairness. Returns (added, updated, removed)."""
    incoming = {m.handle.lower(): m for m in people}
    existing = {r.handle.lower(): r for r in session.scalars(select(RosterRow))}
    added = updated = removed = 0
    for key, person in incoming.items():
        row = existing.get(key)
        if row is None:
            # A newcomer joins at the level of the least-loaded, not at zero: no pile-on.
            floor = min((r.turns for r in existing.values() if not r.manager), default=0)
            session.add(
                RosterRow(
                    handle=person.handle,
                    turns=floor,
                    pings=0,
                    acks=0,
                    **{f: getattr(person, f) for f in _FIELDS},
                )
            )
            added += 1
        elif any(getattr(row, f) != getattr(person, f) for f in _FIELDS):
            for f in _FIELDS:
                setattr(row, f, getattr(person, f))
            updated += 1
    if replace:
        gone = [r.id for k, r in existing.items() if k not in incoming]
        if gone:
            session.execute(delete(RosterRow).where(RosterRow.id.in_(gone)))
            removed = len(gone)
    session.flush()
    return added, updated, removed


def record_turn(before: Member, after: Member, *, ack: bool, session: Session) -> None:
    """Store the core's decision as increments, so two pages deciding at once on PostgreSQL
    both count (no lost update)."""
    values: dict[str, object] = {
        "turns": RosterRow.turns + (after.turns - before.turns),
        "pings": RosterRow.pings + (after.pings - before.pings),
        "last_turn_at": after.last_turn_at,
    }
    if ack:
        values["acks"] = RosterRow.acks + 1
    session.execute(
        update(RosterRow)
        .where(RosterRow.handle == before.handle)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


# Pages ----------------------------------------------------------------------------------------


def add_page(
    *,
    platform: str,
    channel: str,
    thread: str | None,
    text: str,
    by: str,
    now: datetime,
    session: Session,
) -> RotationPageRow:
    row = RotationPageRow(
        platform=platform,
        channel=channel,
        thread=thread,
        text=text,
        triggered_by=by,
        created_at=now,
        step=0,
        engineers=0,
    )
    session.add(row)
    session.flush()
    return row


def get_page(page_id: int, *, session: Session) -> RotationPageRow | None:
    return session.get(RotationPageRow, page_id)


PICKS_LOCK = 0x77617272  # PostgreSQL advisory lock key of the rotation's picks ("warr")


def serialise_picks(*, session: Session) -> None:
    """Until this transaction ends, no other pick runs (on PostgreSQL an advisory lock, across
    replicas; SQLite has one writer, and a pick writes first). Read after this, the queue shows
    every pick committed before: two pages at once do not both go to the head."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PICKS_LOCK})


def claim_step(page_id: int, step: int, *, session: Session) -> RotationPageRow | None:
    """Move an unacknowledged page from step `step - 1` to `step`; None when it is acknowledged
    or the step was taken already (a redelivered effect, another replica)."""
    claimed = session.scalar(
        update(RotationPageRow)
        .where(
            RotationPageRow.id == page_id,
            RotationPageRow.step == step - 1,
            RotationPageRow.acked_at.is_(None),
        )
        .values(step=step)
        .returning(RotationPageRow.id)
        .execution_options(synchronize_session=False)
    )
    if claimed is None:
        return None
    row = session.get(RotationPageRow, page_id)
    if row is not None and row.step != step:
        session.refresh(row)  # loaded earlier in this transaction, before the update
    return row


def acknowledge(page_id: int, user: str, now: datetime, *, session: Session) -> bool:
    """True for the first ACK only: two reactions at once count once, on every database."""
    result = session.execute(
        update(RotationPageRow)
        .where(RotationPageRow.id == page_id, RotationPageRow.acked_at.is_(None))
        .values(acked_by=user, acked_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def add_event(
    page_id: int,
    kind: str,
    actor: str,
    now: datetime,
    *,
    session: Session,
    subject: str | None = None,
    text: str = "",
) -> None:
    session.add(
        PageEventRow(page_id=page_id, at=now, kind=kind, actor=actor, subject=subject, text=text)
    )


def events(page_id: int, *, session: Session) -> list[PageEventRow]:
    return list(
        session.scalars(
            select(PageEventRow).where(PageEventRow.page_id == page_id).order_by(PageEventRow.id)
        )
    )


def pinged(page_id: int, *, session: Session) -> list[str]:
    return list(
        session.scalars(
            select(PageEventRow.subject)
            .where(PageEventRow.page_id == page_id, PageEventRow.kind == "ping")
            .order_by(PageEventRow.id)
        ).all()  # type: ignore[arg-type]
    )


def add_ref(page_id: int, platform: str, ref: str, *, session: Session) -> None:
    if page_for_ref(platform, ref, session=session) is None:
        session.add(PageRefRow(platform=platform, ref=ref, page_id=page_id))
        session.flush()


def page_for_ref(platform: str, ref: str, *, session: Session) -> int | None:
    found: int | None = session.scalar(
        select(PageRefRow.page_id).where(PageRefRow.platform == platform, PageRefRow.ref == ref)
    )
    return found


def facts(*, session: Session) -> list[PageFacts]:
    """Every page, with what the stats need."""
    pages = list(session.scalars(select(RotationPageRow).order_by(RotationPageRow.id)))
    tz = {r.handle.lower(): r.tz for r in session.scalars(select(RosterRow))}
    pings: dict[int, list[str]] = {}
    escalations: dict[int, int] = {}
    rows = session.execute(
        select(PageEventRow.page_id, PageEventRow.kind, PageEventRow.subject).where(
            PageEventRow.kind.in_(("ping", "escalated"))
        )
    )
    for page_id, kind, subject in rows:
        if kind == "ping" and subject:
            pings.setdefault(page_id, []).append(subject)
        elif kind == "escalated":
            escalations[page_id] = escalations.get(page_id, 0) + 1
    return [
        PageFacts(
            id=p.id,
            created_at=p.created_at,
            acked_at=p.acked_at,
            acked_by=p.acked_by,
            responder_tz=tz.get(p.acked_by.lower()) if p.acked_by else None,
            escalations=escalations.get(p.id, 0),
            pinged=tuple(pings.get(p.id, ())),
        )
        for p in pages
    ]
