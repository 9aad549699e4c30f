"""What every use case gets: the transaction, the message, the time, the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from warroom.app.effects import Delivery, Direct, Effect, Post
from warroom.config import Settings
from warroom.ports import ChatMessage
from warroom.render.doc import Doc


def reply_to(msg: ChatMessage, doc: Doc, *, private: bool = False) -> Delivery:
    """Answer where `msg` was typed: its channel (and thread), or the DM. `private` answers the
    sender alone (ephemeral where the platform has it): errors and usage."""
    effect: Effect
    if msg.is_dm:
        effect = Direct(msg.user, doc)
    else:
        effect = Post(msg.channel, doc, thread=msg.thread, only_to=msg.user if private else None)
    return Delivery(msg.platform, effect)


@dataclass
class Ctx:
    session: Session
    msg: ChatMessage | None  # None for work that no message asked for: timers, status results
    now: datetime
    settings: Settings
    effects: list[Delivery] = field(default_factory=list)

    @property
    def message(self) -> ChatMessage:
        """The message this use case answers; only message-driven use cases ask for it."""
        if self.msg is None:
            raise RuntimeError("this use case was not started by a message")
        return self.msg

    def reply(self, doc: Doc) -> None:
        self.effects.append(reply_to(self.message, doc))

    def emit(self, effect: Effect, platform: str | None = None) -> None:
        self.effects.append(Delivery(platform or self.message.platform, effect))
