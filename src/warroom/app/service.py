"""The application: a message in, committed effects out.

`handle_message` is the transaction boundary. Parsing and the core's decision happen inside one
database transaction together with the outbox rows of every effect; only after the commit are
the effects handed back for delivery. A usage error or an illegal transition rolls everything
back and answers the sender alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from warroom.app import effects as fx
from warroom.app import incidents, notices
from warroom.app.context import Ctx, reply_to
from warroom.commands import types as t
from warroom.commands.addressing import command_text
from warroom.commands.grammar import parse, parse_cmd
from warroom.commands.help import lookup
from warroom.config import Settings
from warroom.core.incident import IncidentError
from warroom.ports import ChatMessage, Clock, Reaction, SystemClock
from warroom.render.doc import Doc
from warroom.render.help import help_doc, usage_doc
from warroom.store import outbox, processed

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
        return []

    def _commit_effects(self, ctx: Ctx) -> list[fx.Delivery]:
        committed = []
        for delivery in ctx.effects:
            kind, payload = fx.dump(delivery.effect)
            outbox_id = outbox.add(delivery.platform, kind, payload, ctx.now, session=ctx.session)
            committed.append(fx.Delivery(delivery.platform, delivery.effect, outbox_id))
        return committed

    def pending_effects(self, limit: int = 500) -> list[fx.Delivery]:
        """Effects committed but not yet delivered (a crash between commit and delivery)."""
        with self.sessions() as session:
            rows = outbox.pending(limit, session=session)
            return [fx.Delivery(r.platform, fx.load(r.kind, r.payload), r.id) for r in rows]

    def mark_delivered(self, ids: list[int]) -> None:
        with self.sessions.begin() as session:
            outbox.mark_delivered(ids, self.clock.now(), session=session)

    def mark_failed(self, outbox_id: int, error: str) -> None:
        with self.sessions.begin() as session:
            outbox.mark_failed(outbox_id, error, session=session)
