"""The outbox from the app's side: claim what was committed but not delivered, mark what was
delivered or failed. A row of a kind this version does not know is refused loudly and marked
failed, never guessed."""

from __future__ import annotations

import logging
from datetime import timedelta

from warroom.app import effects as fx
from warroom.app.uow import UnitOfWork
from warroom.store import outbox

log = logging.getLogger(__name__)


class Pending:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def pending_effects(
        self, *, older_than: float = 0.0, limit: int = 500, dead_after: float | None = None
    ) -> list[fx.Delivery]:
        """Claim effects committed but not delivered (a crash between commit and delivery, or a
        replica that died: older than `older_than`, or made by a process whose heartbeat stopped
        `dead_after` seconds ago) for this process to deliver."""
        lease = timedelta(seconds=self.uow.settings.timers.lease)
        dead = timedelta(seconds=dead_after) if dead_after is not None else None
        rows = self.uow.query(
            lambda ctx: outbox.claim_pending(
                now=ctx.now,
                older_than=timedelta(seconds=older_than),
                lease=lease,
                limit=limit,
                session=ctx.session,
                dead_after=dead,
            )
        )
        out: list[fx.Delivery] = []
        for outbox_id, platform, kind, payload in rows:
            try:
                out.append(fx.Delivery(platform, fx.load(kind, payload), outbox_id))
            except fx.UnknownEffect as exc:
                log.error("outbox row %d refused: %s; marked failed", outbox_id, exc)
                self.mark_failed(outbox_id, str(exc))
        return out

    def mark_delivered(self, ids: list[int]) -> None:
        with self.uow.begin() as ctx:
            outbox.mark_delivered(ids, ctx.now, session=ctx.session)

    def mark_failed(self, outbox_id: int, error: str) -> None:
        with self.uow.begin() as ctx:
            outbox.mark_failed(outbox_id, error, session=ctx.session)
