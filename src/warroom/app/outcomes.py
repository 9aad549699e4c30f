"""What background work found out, back into the database: status snapshots, providers'
answers to pages and tickets, the rotation's presence answers and posted refs, on-call
schedules. Each in one transaction with the notices it leads to."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from warroom.app import actions, oncall, paging, rotation, status, tickets
from warroom.app import effects as fx
from warroom.app.uow import UnitOfWork, commit_effects, to_outbox
from warroom.core.oncall import Contact
from warroom.core.status import Snapshot
from warroom.ports import IssueState
from warroom.store import outbox
from warroom.store import paging as store_paging

log = logging.getLogger(__name__)
READ_ONLY_CHECKS = frozenset({"report", "incidents"})


class Outcomes:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def status_checked(
        self, effect: fx.CheckStatus, platform: str, snapshot: Snapshot
    ) -> list[fx.Delivery]:
        """The answer to a status check. `status` and `status incidents` (read-only commands)
        are answered on a read session, like the command; the runtime marks a check's own
        outbox row done only after delivering the answer, so it is never lost either way."""
        if effect.purpose in READ_ONLY_CHECKS:
            return self.uow.read(lambda ctx: status.checked(effect, platform, snapshot, ctx))
        return self.uow.run(lambda ctx: status.checked(effect, platform, snapshot, ctx))

    def page_outcome(
        self,
        call: fx.PageCall,
        error: str | None,
        outbox_id: int | None,
        *,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> list[fx.Delivery]:
        """Record a provider's answer to a page call (scheduling the next try of a trigger
        that may work later) and mark the call delivered, in one transaction; returns the
        notices (committed) to deliver."""
        with self.uow.begin() as ctx:
            paging.page_outcome(
                call, error=error, ctx=ctx, retryable=retryable, retry_after=retry_after
            )
            if outbox_id is not None:
                outbox.mark_delivered([outbox_id], ctx.now, session=ctx.session)
            return commit_effects(ctx)

    def page_slow(self, call: fx.PageCall) -> list[fx.Delivery]:
        """A trigger's first try is slow: the phone numbers, once per page (committed)."""
        return self.uow.run(lambda ctx: paging.page_slow(call, ctx))

    def ticket_outcome(
        self, ticket: fx.OpenTicket, link: str | None, error: str | None, outbox_id: int | None
    ) -> list[fx.Delivery]:
        with self.uow.begin() as ctx:
            deliveries = tickets.ticket_outcome(
                ticket, link=link, error=error, now=ctx.now, session=ctx.session
            )
            if outbox_id is not None:
                outbox.mark_delivered([outbox_id], ctx.now, session=ctx.session)
            return to_outbox(deliveries, ctx.now, ctx.session)

    def issues_read(
        self,
        effect: fx.ReadIssues,
        states: Mapping[str, IssueState] | None,
        error: str | None,
        outbox_id: int | None,
    ) -> list[fx.Delivery]:
        """The tracker's answer about action items' issues: the items follow their issues,
        the read is marked delivered, in one transaction; returns the notices (committed)."""
        with self.uow.begin() as ctx:
            actions.issues_read(effect, states, error, ctx)
            if outbox_id is not None:
                outbox.mark_delivered([outbox_id], ctx.now, session=ctx.session)
            return commit_effects(ctx)

    def rotation_candidates(self, effect: fx.PickResponder) -> list[str]:
        """Who may be pinged for this step, queue order; the runtime checks their presence."""
        return self.uow.query(lambda ctx: rotation.candidates(effect, ctx))

    def rotation_presence(
        self, effect: fx.PickResponder, platform: str, presence: Mapping[str, str]
    ) -> list[fx.Delivery]:
        """Presence answers are in: pick, ping and schedule the escalation, in one go."""
        return self.uow.run(lambda ctx: rotation.pick(effect, platform, presence, ctx))

    def message_posted(self, platform: str, ref_key: str, ref: str) -> None:
        """A posted message whose ref the app asked for (`Post.ref_key`)."""
        if not ref_key.startswith(rotation.REF_KEY):
            log.warning("posted message with unknown ref key %r", ref_key)
            return
        page_id = int(ref_key.removeprefix(rotation.REF_KEY))
        self.uow.query(lambda ctx: rotation.posted(page_id, platform, ref, ctx))

    def store_oncall(
        self, provider: str, schedule: str, people: list[Contact] | None, error: str | None
    ) -> None:
        """Record a background refresh of one schedule: its people, or why it failed."""
        if people is not None:
            people = oncall.enrich(self.uow.settings, people)
        with self.uow.begin() as ctx:
            store_paging.store_oncall(
                provider, schedule, people=people, error=error, now=ctx.now, session=ctx.session
            )
