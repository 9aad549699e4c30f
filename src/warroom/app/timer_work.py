"""Timers from the app's side: claim the due ones, fire them (each kind's handler in
`TIMER_HANDLERS`), schedule the pre-shift reminders, and say when the next one is due."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from warroom import logs
from warroom.app import actions, handoff, paging, reminders, rotation, severity, slo, status
from warroom.app import effects as fx
from warroom.app.context import Ctx
from warroom.app.uow import UnitOfWork, commit_effects
from warroom.store import timers, workers

log = logging.getLogger(__name__)

DEAD_AFTER = 2.5  # seconds without a heartbeat after which a process counts as dead
TimerHandler = Callable[[timers.Claimed, Ctx], None]

TIMER_HANDLERS: dict[str, TimerHandler] = {
    reminders.KIND: reminders.fire,
    status.STALK: status.fire_poll,
    handoff.PRESHIFT: handoff.fire_preshift,
    handoff.HANDOFF: handoff.fire_handoff,
    rotation.KIND: rotation.fire_escalation,
    paging.RETRY: paging.fire_retry,
    severity.ASK: severity.fire_ask,
    slo.PROBE: slo.fire_probe,
    slo.BURN: slo.fire_burn,
    actions.REVIEW: actions.fire_review,
    actions.REVIEW_ACTIONS: actions.fire_open_actions,
    actions.SYNC: actions.fire_sync,
}


class TimerWork:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def claim_due_timers(
        self, *, worker: str, limit: int = 100, dead_after: float | None = DEAD_AFTER
    ) -> list[timers.Claimed]:
        """Claim up to `limit` due timers, taking over those of processes whose heartbeat
        stopped `dead_after` seconds ago."""
        lease = timedelta(seconds=self.uow.settings.timers.lease)
        dead = timedelta(seconds=dead_after) if dead_after is not None else None
        return self.uow.query(
            lambda ctx: timers.claim_due(
                worker=worker,
                now=ctx.now,
                lease=lease,
                limit=limit,
                session=ctx.session,
                dead_after=dead,
            )
        )

    def worker_beat(
        self, worker: str, holding: Sequence[int] = (), release: Sequence[int] = ()
    ) -> None:
        """`worker` is alive: its heartbeat; the leases of the timers it is firing (`holding`)
        renewed; those it could not fire (`release`: the database went away) freed."""
        lease = timedelta(seconds=self.uow.settings.timers.lease)
        with self.uow.begin() as ctx:
            workers.beat(worker, ctx.now, session=ctx.session)
            timers.renew(worker, holding, ctx.now, lease, session=ctx.session)
            if release:
                timers.release(worker, ids=release, session=ctx.session)
            if ctx.now.second == 0:  # now and then, not every beat
                workers.forget_dead(ctx.now, session=ctx.session)

    def worker_stopped(self, worker: str) -> None:
        """`worker` stops cleanly: what it claimed and did not fire is free for others now."""
        with self.uow.begin() as ctx:
            timers.release(worker, session=ctx.session)
            workers.gone(worker, session=ctx.session)

    def fire_timers(self, claimed: list[timers.Claimed]) -> list[fx.Delivery]:
        """Run claimed timers in one transaction; each timer's effects and its `fired_at` commit
        together or not at all. Optimistic: the whole batch at once; if a handler fails, the
        batch is rolled back and run again with a savepoint per timer, so the failing one is
        left for a retry after its lease and the others still fire."""
        try:
            return self._fire(claimed, isolate=False)
        except Exception:
            log.warning("a timer failed in a batch of %d; firing them one by one", len(claimed))
            return self._fire(claimed, isolate=True)

    def _fire(self, claimed: list[timers.Claimed], *, isolate: bool) -> list[fx.Delivery]:
        with self.uow.begin() as ctx:
            held = timers.mark_fired_many(claimed, ctx.now, session=ctx.session)
            ctx.preload({t.incident_id for t in claimed if t.incident_id and t.id in held})
            failed: list[int] = []
            for timer in claimed:
                if timer.id not in held:
                    continue  # fired or cancelled meanwhile, or another worker took over
                handler = TIMER_HANDLERS.get(timer.kind)
                if handler is None:
                    log.error("timer %s has unknown kind %r; dropped", timer.key, timer.kind)
                    continue
                with logs.bound(timer=timer.key, incident_id=timer.incident_id):
                    if not isolate:
                        handler(timer, ctx)
                    elif not _isolated(handler, timer, ctx):
                        failed.append(timer.id)
            if failed:
                timers.unfire(failed, session=ctx.session)
            return commit_effects(ctx)

    def ensure_oncall_timers(self, platform: str) -> None:
        """Schedule the next pre-shift reminder of every builtin rotation (idempotent)."""
        self.uow.query(lambda ctx: handoff.ensure(ctx, platform))
        self.uow.query(lambda ctx: slo.ensure(ctx, platform))  # probes and burn-rate checks
        self.uow.query(lambda ctx: actions.ensure(ctx, platform))  # Jira issues read back

    def next_timer_due(self) -> datetime | None:
        with self.uow.sessions() as session:
            return timers.next_due(now=self.uow.clock.now(), session=session)


def _isolated(handler: TimerHandler, timer: timers.Claimed, ctx: Ctx) -> bool:
    """Fire one timer under a savepoint; False (and its effects dropped) when it failed."""
    mark = len(ctx.effects)
    try:
        with ctx.session.begin_nested():
            handler(timer, ctx)
    except Exception:
        log.exception("timer %s failed; it is retried after its lease", timer.key)
        del ctx.effects[mark:]
        return False
    return True
