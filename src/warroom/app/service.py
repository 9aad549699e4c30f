"""The application: a message in, committed effects out.

`handle_message` is the transaction boundary. Parsing and the core's decision happen inside one
database transaction together with the outbox rows of every effect; only after the commit are
the effects handed back for delivery. A usage error or an illegal transition rolls everything
back and answers the sender alone.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from warroom.app import effects as fx
from warroom.app import (
    handoff,
    incidents,
    locks,
    notices,
    oncall,
    paging,
    reminders,
    rotation,
    status,
    tickets,
)
from warroom.app.context import Ctx, reply_to
from warroom.commands import types as t
from warroom.commands.addressing import command_text
from warroom.commands.grammar import parse, parse_cmd
from warroom.commands.help import lookup
from warroom.config import Settings
from warroom.core.doc import Doc
from warroom.core.incident import IncidentError
from warroom.core.oncall import Contact
from warroom.core.rotation import Member, Stats, stats
from warroom.core.status import Snapshot
from warroom.ports import ChatMessage, Clock, Reaction, SystemClock
from warroom.render.help import help_doc, usage_doc
from warroom.store import outbox, processed, timers
from warroom.store import paging as store_paging
from warroom.store import rotation as rotation_store

log = logging.getLogger(__name__)
PROCESSED_KEPT = timedelta(days=1)

Handler = Callable[[Any, Ctx], None]

HANDLERS: dict[type[Any], Handler] = {
    t.StartIncident: incidents.start,
    t.Rebind: incidents.rebind,
    t.SetImoc: incidents.set_imoc,
    t.SetSrm: incidents.set_srm,
    t.Milestone: incidents.milestone,
    t.Note: incidents.note,
    t.Tldr: incidents.tldr,
    t.Tell: incidents.tell,
    t.Stop: incidents.stop,
    t.Report: incidents.report,
    t.ListIncidents: incidents.list_incidents,
    t.StatusReport: status.report,
    t.StatusIncidents: status.incidents,
    t.Stalk: status.stalk,
    t.Unstalk: status.unstalk,
    t.ProviderStatus: status.provider_status,
    t.ShowOnCall: oncall.show_oncall,
    t.Who: oncall.who,
    t.PageSomeone: paging.page,
    t.PagerUpdate: paging.update,
    t.PagerList: paging.list_pages,
    t.Snooze: paging.snooze,
    t.DevOnCall: rotation.devoncall,
    t.ShowRoster: rotation.show_roster,
    t.Top: rotation.top,
    t.Position: rotation.position,
    t.RotationStats: rotation.show_stats,
    **locks.HANDLERS,
}

TimerHandler = Callable[[timers.Claimed, Ctx], None]

TIMER_HANDLERS: dict[str, TimerHandler] = {
    reminders.KIND: reminders.fire,
    status.STALK: status.fire_poll,
    handoff.PRESHIFT: handoff.fire_preshift,
    handoff.HANDOFF: handoff.fire_handoff,
    rotation.KIND: rotation.fire_escalation,
}


class App:
    PRUNE_EVERY = 1000

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        settings: Settings,
        clock: Clock | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.clock = clock or SystemClock()
        self._claims = 0
        # Called with a due time after each commit that scheduled timers (the runtime wakes
        # its timer worker); called in the thread that committed.
        self.timer_scheduled: list[Callable[[datetime], None]] = []
        listener = _after_commit(weakref.ref(self))
        event.listen(sessions, "after_commit", listener)
        event.listen(sessions, "after_rollback", _forget_scheduled)

    def handle_message(self, msg: ChatMessage) -> list[fx.Delivery]:
        text = command_text(
            msg.text, names=self.settings.bot.names, is_dm=msg.is_dm, mentioned=msg.mentioned
        )
        if text is None:
            return self.chatter(msg)  # never an error; at most Spy's notice
        if msg.is_dm and text.split(None, 1)[0].lower() == "cmd":
            return self.command_in_channel(text, msg)
        try:
            command = parse(text)
        except t.UsageError as exc:
            return self._once(
                msg, [reply_to(msg, private=True, doc=usage_doc(exc.message, exc.usage))]
            )
        if isinstance(command, t.Help):
            entries = lookup(command.topic) if command.topic else None
            return self._once(
                msg, [reply_to(msg, help_doc(entries, bot_name=self.settings.bot.name))]
            )
        return self.execute(command, msg)

    def execute(self, command: t.Command, msg: ChatMessage) -> list[fx.Delivery]:
        handler = HANDLERS[type(command)]
        try:
            with self.sessions.begin() as session:
                now = self.clock.now()
                if msg.event_id is not None:  # in the command's transaction: acted on once
                    self._claim(msg.event_id, now, session)
                ctx = Ctx(session=session, msg=msg, now=now, settings=self.settings)
                handler(command, ctx)
                return self._commit_effects(ctx)
        except processed.AlreadyProcessed:
            log.info("event %s was already handled; ignoring the re-sent copy", msg.event_id)
            return []
        except (IncidentError, t.UsageError) as exc:
            return self._once(msg, [reply_to(msg, private=True, doc=Doc.of(str(exc)))])
        except OperationalError:
            log.exception("database error while handling %r", msg.text)
            return [
                reply_to(
                    msg,
                    private=True,
                    doc=Doc.of("⚠ I could not reach my database; nothing was saved. Try again."),
                )
            ]

    def claim_due_timers(self, *, worker: str, limit: int = 100) -> list[timers.Claimed]:
        lease = timedelta(seconds=self.settings.timers.lease)
        with self.sessions.begin() as session:
            return timers.claim_due(
                worker=worker, now=self.clock.now(), lease=lease, limit=limit, session=session
            )

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
        with self.sessions.begin() as session:
            ctx = Ctx(session=session, msg=None, now=self.clock.now(), settings=self.settings)
            held = timers.mark_fired_many(claimed, ctx.now, session=session)
            ctx.preload({t.incident_id for t in claimed if t.incident_id and t.id in held})
            failed: list[int] = []
            for timer in claimed:
                if timer.id not in held:
                    continue  # fired or cancelled meanwhile, or another worker took over
                handler = TIMER_HANDLERS.get(timer.kind)
                if handler is None:
                    log.error("timer %s has unknown kind %r; dropped", timer.key, timer.kind)
                    continue
                if not isolate:
                    handler(timer, ctx)
                    continue
                mark = len(ctx.effects)
                try:
                    with session.begin_nested():
                        handler(timer, ctx)
                except Exception:
                    log.exception("timer %s failed; it is retried after its lease", timer.key)
                    del ctx.effects[mark:]
                    failed.append(timer.id)
            if failed:
                timers.unfire(failed, session=session)
            return self._commit_effects(ctx)

    def ensure_oncall_timers(self, platform: str) -> None:
        """Schedule the next pre-shift reminder of every builtin rotation (idempotent)."""
        with self.sessions.begin() as session:
            ctx = Ctx(session=session, msg=None, now=self.clock.now(), settings=self.settings)
            handoff.ensure(ctx, platform)

    def next_timer_due(self) -> datetime | None:
        with self.sessions() as session:
            return timers.next_due(now=self.clock.now(), session=session)

    def status_checked(
        self, effect: fx.CheckStatus, platform: str, snapshot: Snapshot
    ) -> list[fx.Delivery]:
        with self.sessions.begin() as session:
            ctx = Ctx(session=session, msg=None, now=self.clock.now(), settings=self.settings)
            status.checked(effect, platform, snapshot, ctx)
            return self._commit_effects(ctx)

    def chatter(self, msg: ChatMessage) -> list[fx.Delivery]:
        """Spy's notice when `msg` talks about an active incident outside its channel."""
        if msg.is_dm or not self.settings.notices.enabled:
            return []
        with self.sessions() as session:
            incident = notices.about(msg, notices.active_incidents(session), self.settings)
        if incident is None:
            return []
        try:
            with self.sessions.begin() as session:
                ctx = Ctx(session=session, msg=msg, now=self.clock.now(), settings=self.settings)
                notices.notice(ctx, incident)
                return self._commit_effects(ctx)
        except notices.AlreadyTold:
            return []
        except OperationalError:
            log.exception("database error while reading chatter")
            return []

    def command_in_channel(self, text: str, msg: ChatMessage) -> list[fx.Delivery]:
        """`cmd #channel <command>` in a DM: run the command as if typed in #channel (Spy's
        `spy cmd #war-room`); what only the sender should see comes back to the DM."""
        try:
            channel, command = parse_cmd(text)
        except t.UsageError as exc:
            return self._once(
                msg, [reply_to(msg, private=True, doc=usage_doc(exc.message, exc.usage))]
            )
        there = replace(
            msg, channel=channel, is_dm=False, mentioned=True, thread=None, text=command
        )
        out = []
        for delivery in self.handle_message(there):
            effect = delivery.effect
            if (
                isinstance(effect, fx.Post)
                and effect.only_to == msg.user
                and effect.channel == channel
            ):
                delivery = fx.Delivery(delivery.platform, fx.Direct(msg.user, effect.doc))
            out.append(delivery)
        return out

    def _claim(self, event_id: str, now: datetime, session: Session) -> None:
        """Record the event as acted on; now and then forget the ones too old to be re-sent
        (Slack retries for minutes, Socket Mode redelivers on reconnect)."""
        processed.claim(event_id, now, session=session)
        self._claims += 1
        if self._claims % self.PRUNE_EVERY == 0:
            processed.prune(now - PROCESSED_KEPT, session=session)

    def _once(self, msg: ChatMessage, deliveries: list[fx.Delivery]) -> list[fx.Delivery]:
        """Answers that change nothing (usage, help, refusals), once per event all the same."""
        if msg.event_id is None:
            return deliveries
        try:
            with self.sessions.begin() as session:
                self._claim(msg.event_id, self.clock.now(), session)
        except processed.AlreadyProcessed:
            return []
        return deliveries

    def handle_reaction(self, reaction: Reaction) -> list[fx.Delivery]:
        """Reactions reach the app; the fair rotation acknowledges with them."""
        log.debug("reaction %s by %s on %s", reaction.emoji, reaction.user, reaction.message_ref)
        if reaction.emoji.strip(":") != self.settings.rotation.ack_emoji:
            return []  # no transaction for the many reactions that mean nothing to us
        with self.sessions.begin() as session:
            ctx = Ctx(session=session, msg=None, now=self.clock.now(), settings=self.settings)
            rotation.acknowledge(reaction, ctx)
            return self._commit_effects(ctx)

    def rotation_candidates(self, effect: fx.PickResponder) -> list[str]:
        """Who may be pinged for this step, queue order; the runtime checks their presence."""
        with self.sessions.begin() as session:
            ctx = Ctx(session=session, msg=None, now=self.clock.now(), settings=self.settings)
            return rotation.candidates(effect, ctx)

    def rotation_presence(
        self, effect: fx.PickResponder, platform: str, presence: Mapping[str, str]
    ) -> list[fx.Delivery]:
        """Presence answers are in: pick, ping and schedule the escalation, in one go."""
        with self.sessions.begin() as session:
            ctx = Ctx(session=session, msg=None, now=self.clock.now(), settings=self.settings)
            rotation.pick(effect, platform, presence, ctx)
            return self._commit_effects(ctx)

    def message_posted(self, platform: str, ref_key: str, ref: str) -> None:
        """A posted message whose ref the app asked for (`Post.ref_key`)."""
        if not ref_key.startswith(rotation.REF_KEY):
            log.warning("posted message with unknown ref key %r", ref_key)
            return
        with self.sessions.begin() as session:
            ctx = Ctx(session=session, msg=None, now=self.clock.now(), settings=self.settings)
            rotation.posted(int(ref_key.removeprefix(rotation.REF_KEY)), platform, ref, ctx)

    def import_roster(self, people: list[Member], *, replace: bool) -> tuple[int, int, int]:
        """Merge or replace the roster; returns (added, updated, removed)."""
        with self.sessions.begin() as session:
            return rotation_store.import_members(people, replace=replace, session=session)

    def rotation_stats(self) -> Stats:
        with self.sessions() as session:
            return stats(rotation_store.facts(session=session))

    def _commit_effects(self, ctx: Ctx) -> list[fx.Delivery]:
        return _to_outbox(ctx.effects, ctx.now, ctx.session)

    def page_outcome(
        self, call: fx.PageCall, error: str | None, outbox_id: int | None
    ) -> list[fx.Delivery]:
        """Record a provider's answer to a page call and mark the call delivered, in one
        transaction; returns the notices (committed) to deliver."""
        with self.sessions.begin() as session:
            now = self.clock.now()
            deliveries = paging.page_outcome(call, error=error, now=now, session=session)
            if outbox_id is not None:
                outbox.mark_delivered([outbox_id], now, session=session)
            return _to_outbox(deliveries, now, session)

    def ticket_outcome(
        self,
        ticket: fx.OpenTicket,
        link: str | None,
        error: str | None,
        outbox_id: int | None,
    ) -> list[fx.Delivery]:
        with self.sessions.begin() as session:
            now = self.clock.now()
            deliveries = tickets.ticket_outcome(
                ticket, link=link, error=error, now=now, session=session
            )
            if outbox_id is not None:
                outbox.mark_delivered([outbox_id], now, session=session)
            return _to_outbox(deliveries, now, session)

    def store_oncall(
        self, provider: str, schedule: str, people: list[Contact] | None, error: str | None
    ) -> None:
        """Record a background refresh of one schedule: its people, or why it failed."""
        if people is not None:
            people = oncall.enrich(self.settings, people)
        with self.sessions.begin() as session:
            store_paging.store_oncall(
                provider, schedule, people=people, error=error, now=self.clock.now(),
                session=session,
            )  # fmt: skip

    def is_snoozed(self, platform: str, user: str) -> bool:
        """`pager stfu`: reminders and rotation pings skip this person for now."""
        with self.sessions() as session:
            return paging.is_snoozed(platform, user, now=self.clock.now(), session=session)

    def pending_effects(self, *, older_than: float = 0.0, limit: int = 500) -> list[fx.Delivery]:
        """Claim effects committed but not delivered (a crash between commit and delivery, or a
        replica that died) for this process to deliver."""
        with self.sessions.begin() as session:
            rows = outbox.claim_pending(
                now=self.clock.now(),
                older_than=timedelta(seconds=older_than),
                lease=timedelta(seconds=self.settings.timers.lease),
                limit=limit,
                session=session,
            )
        return [fx.Delivery(p, fx.load(kind, payload), i) for i, p, kind, payload in rows]

    def mark_delivered(self, ids: list[int]) -> None:
        with self.sessions.begin() as session:
            outbox.mark_delivered(ids, self.clock.now(), session=session)

    def mark_failed(self, outbox_id: int, error: str) -> None:
        with self.sessions.begin() as session:
            outbox.mark_failed(outbox_id, error, session=session)


def _after_commit(app_ref: weakref.ref[App]) -> Callable[[Session], None]:
    """A session listener that holds its app weakly: a sessionmaker may outlive many apps
    (tests restart the app on one database)."""

    def committed(session: Session) -> None:
        due = timers.scheduled_in(session)
        app = app_ref()
        if due is None or app is None:
            return
        for hook in list(app.timer_scheduled):
            try:
                hook(due)
            except Exception:  # a hook must never turn a commit into an error
                log.exception("timer hook failed")

    return committed


def _forget_scheduled(session: Session) -> None:
    timers.scheduled_in(session)


def _to_outbox(deliveries: list[fx.Delivery], now: datetime, session: Session) -> list[fx.Delivery]:
    if not deliveries:
        return []
    rows = [(d.platform, *fx.dump(d.effect)) for d in deliveries]
    ids = outbox.add_many(rows, now, session=session)
    return [
        fx.Delivery(d.platform, d.effect, outbox_id)
        for d, outbox_id in zip(deliveries, ids, strict=True)
    ]
