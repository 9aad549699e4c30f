"""What every use case gets: the transaction, the message, the time, the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from warroom.app.effects import Delivery, Direct, Effect, Post
from warroom.config import Settings
from warroom.core.doc import Doc
from warroom.core.incident import Incident
from warroom.ports import ChatMessage
from warroom.store import incidents as repo


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
    _incidents: dict[int, Incident | None] = field(default_factory=dict)

    def preload(self, incident_ids: set[int]) -> None:
        found = repo.get_many(sorted(incident_ids - set(self._incidents)), session=self.session)
        self._incidents.update({i: found.get(i) for i in incident_ids})

    def incident(self, incident_id: int) -> Incident | None:
        """An incident read once per transaction; for use cases that only read it (timers)."""
        if incident_id not in self._incidents:
            self._incidents[incident_id] = repo.get(incident_id, session=self.session)
        return self._incidents[incident_id]

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
