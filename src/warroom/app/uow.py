"""The unit of work: one transaction, its `Ctx`, and the effects it decided written to the
outbox in the same transaction. Every use case that writes runs through `UnitOfWork.run`;
read-only commands through `UnitOfWork.read` (a plain session: no write transaction, nothing
written, their answers delivered without an outbox row)."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from warroom.app import effects as fx
from warroom.app.context import Ctx
from warroom.config import Settings
from warroom.ports import ChatMessage, Clock
from warroom.store import outbox, timers

log = logging.getLogger(__name__)
R = TypeVar("R")


class UnitOfWork:
    def __init__(self, sessions: sessionmaker[Session], settings: Settings, clock: Clock) -> None:
        self.sessions = sessions
        self.settings = settings
        self.clock = clock
        # Called with a due time after each commit that scheduled timers (the runtime wakes
        # its timer worker); called in the thread that committed.
        self.timer_scheduled: list[Callable[[datetime], None]] = []
        event.listen(sessions, "after_commit", _after_commit(weakref.ref(self)))
        event.listen(sessions, "after_rollback", _forget_scheduled)

    @contextmanager
    def begin(self, msg: ChatMessage | None = None) -> Iterator[Ctx]:
        """A write transaction and its context; commits when the block ends (the caller writes
        the effects with `commit_effects` inside the block)."""
        with self.sessions.begin() as session:
            yield Ctx(session=session, msg=msg, now=self.clock.now(), settings=self.settings)

    def run(
        self, work: Callable[[Ctx], object], msg: ChatMessage | None = None
    ) -> list[fx.Delivery]:
        """`work` in one transaction; its effects go to the outbox in the same one."""
        with self.begin(msg) as ctx:
            work(ctx)
            return commit_effects(ctx)

    def query(self, work: Callable[[Ctx], R]) -> R:
        """`work` in a write transaction that returns a value (no effects expected)."""
        with self.begin() as ctx:
            return work(ctx)

    def read(
        self, work: Callable[[Ctx], object], msg: ChatMessage | None = None
    ) -> list[fx.Delivery]:
        """`work` on a plain read session: nothing is written; the effects come back without
        outbox rows. `work` must not write: a change it makes is rolled back and refused."""
        with self.sessions() as session:
            ctx = Ctx(session=session, msg=msg, now=self.clock.now(), settings=self.settings)
            work(ctx)
            if session.new or session.dirty or session.deleted:
                session.rollback()
                raise RuntimeError("a read-only use case tried to write")
            return list(ctx.effects)


def commit_effects(ctx: Ctx) -> list[fx.Delivery]:
    return to_outbox(ctx.effects, ctx.now, ctx.session)


def to_outbox(deliveries: list[fx.Delivery], now: datetime, session: Session) -> list[fx.Delivery]:
    if not deliveries:
        return []
    rows = [(d.platform, *fx.dump(d.effect)) for d in deliveries]
    ids = outbox.add_many(rows, now, session=session)
    return [
        fx.Delivery(d.platform, d.effect, outbox_id)
        for d, outbox_id in zip(deliveries, ids, strict=True)
    ]


def _after_commit(ref: weakref.ref[UnitOfWork]) -> Callable[[Session], None]:
    """A session listener that holds its unit of work weakly: a sessionmaker may outlive many
    apps (tests restart the app on one database)."""

    def committed(session: Session) -> None:
        due = timers.scheduled_in(session)
        uow = ref()
        if due is None or uow is None:
            return
        for hook in list(uow.timer_scheduled):
            try:
                hook(due)
            except Exception:  # a hook must never turn a commit into an error
                log.exception("timer hook failed")

    return committed


def _forget_scheduled(session: Session) -> None:
    timers.scheduled_in(session)
