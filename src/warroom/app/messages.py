"""Messages in, deliveries out: addressing, parsing, the once-per-event rule, and the choice
between a write transaction and a plain read.

A command that writes claims its event (`processed_events`) inside its own transaction, so a
re-sent event changes nothing and is answered once, also after a restart. A read-only command
(the registry's `read_only`: help, incidents, tldr, status, `!ir`...) runs on a plain read
session and claims nothing: it changes nothing however often it runs; the runtime's memory of
recent event IDs answers a message that arrives as both `message` and `app_mention`, or is
re-sent while the process runs, once. Usage errors and refusals are answered the same way.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from warroom.app import effects as fx
from warroom.app import notices, rotation
from warroom.app.context import reply_to
from warroom.app.handlers import handler_for
from warroom.app.uow import UnitOfWork, commit_effects
from warroom.commands import types as t
from warroom.commands.addressing import command_text
from warroom.commands.grammar import parse, parse_cmd
from warroom.commands.registry import REGISTRY
from warroom.config import Settings
from warroom.core.doc import Doc
from warroom.core.incident import IncidentError
from warroom.ports import ChatMessage, Reaction
from warroom.render.help import usage_doc
from warroom.store import processed

log = logging.getLogger(__name__)
PROCESSED_KEPT = timedelta(days=1)
DB_AWAY = "⚠ I could not reach my database; nothing was saved. Try again."


class Messages:
    PRUNE_EVERY = 1000

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self._claims = 0
        # Told of every command executed: (its type's name, seconds, "ok" or "error"); /metrics
        # counts and times commands through it.
        self.observers: list[Callable[[str, float, str], None]] = []

    @property
    def settings(self) -> Settings:
        return self.uow.settings

    def handle(self, msg: ChatMessage) -> list[fx.Delivery]:
        text = command_text(
            msg.text, names=self.settings.bot.names, is_dm=msg.is_dm, mentioned=msg.mentioned
        )
        if text is None:
            return self.chatter(msg)  # never an error; at most Spy's notice
        first = text.split(None, 1)[:1]  # empty when the message was only the bot's name
        if msg.is_dm and first and first[0].lower() == "cmd":
            return self.command_in_channel(text, msg)
        try:
            command = parse(text)
            _check_where(command, msg)
        except t.UsageError as exc:
            return [reply_to(msg, private=True, doc=usage_doc(exc.message, exc.usage))]
        return self.execute(command, msg)

    def execute(self, command: t.Command, msg: ChatMessage) -> list[fx.Delivery]:
        if not self.observers:
            return self._execute(command, msg)
        start, outcome = time.perf_counter(), "error"
        try:
            result = self._execute(command, msg)
            outcome = "ok"
            return result
        finally:
            took = time.perf_counter() - start
            for observe in self.observers:
                observe(type(command).__name__, took, outcome)

    def _execute(self, command: t.Command, msg: ChatMessage) -> list[fx.Delivery]:
        handler = handler_for(command)
        try:
            if REGISTRY.is_read_only(command):
                return self.uow.read(lambda ctx: handler(command, ctx), msg)
            with self.uow.begin(msg) as ctx:
                if msg.event_id is not None:  # in the command's transaction: acted on once
                    self._claim(msg.event_id, ctx.now, ctx.session)
                handler(command, ctx)
                return commit_effects(ctx)
        except processed.AlreadyProcessed:
            log.info("event %s was already handled; ignoring the re-sent copy", msg.event_id)
            return []
        except (IncidentError, t.UsageError) as exc:
            return [reply_to(msg, private=True, doc=Doc.of(str(exc)))]
        except OperationalError:
            log.exception("database error while handling %r", msg.text)
            return [reply_to(msg, private=True, doc=Doc.of(DB_AWAY))]

    def chatter(self, msg: ChatMessage) -> list[fx.Delivery]:
        """Spy's notice when `msg` talks about an active incident outside its channel."""
        if msg.is_dm or not self.settings.notices.enabled:
            return []
        with self.uow.sessions() as session:
            incident = notices.about(msg, notices.active_incidents(session), self.settings)
        if incident is None:
            return []
        try:
            return self.uow.run(lambda ctx: notices.notice(ctx, incident), msg)
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
            return [reply_to(msg, private=True, doc=usage_doc(exc.message, exc.usage))]
        there = replace(
            msg, channel=channel, is_dm=False, mentioned=True, thread=None, text=command
        )
        out = []
        for delivery in self.handle(there):
            effect = delivery.effect
            if (
                isinstance(effect, fx.Post)
                and effect.only_to == msg.user
                and effect.channel == channel
            ):
                delivery = fx.Delivery(delivery.platform, fx.Direct(msg.user, effect.doc))
            out.append(delivery)
        return out

    def handle_reaction(self, reaction: Reaction) -> list[fx.Delivery]:
        """Reactions reach the app; the fair rotation acknowledges with them."""
        log.debug("reaction %s by %s on %s", reaction.emoji, reaction.user, reaction.message_ref)
        if reaction.emoji.strip(":") != self.settings.rotation.ack_emoji:
            return []  # no transaction for the many reactions that mean nothing to us
        return self.uow.run(lambda ctx: rotation.acknowledge(reaction, ctx))

    def _claim(self, event_id: str, now: datetime, session: Session) -> None:
        """Record the event as acted on; now and then forget the ones too old to be re-sent
        (Slack retries for minutes, Socket Mode redelivers on reconnect)."""
        processed.claim(event_id, now, session=session)
        self._claims += 1
        if self._claims % self.PRUNE_EVERY == 0:
            processed.prune(now - PROCESSED_KEPT, session=session)


def _check_where(command: object, msg: ChatMessage) -> None:
    entry = REGISTRY.entry_of(command)
    if entry is None or entry.where == "both":
        return
    if entry.where == "dm" and not msg.is_dm:
        raise t.UsageError(f"`{entry.usage}` works in a DM with me.", usage=entry.usage)
    if entry.where == "channel" and msg.is_dm:
        raise t.UsageError(f"`{entry.usage}` works in a channel.", usage=entry.usage)
