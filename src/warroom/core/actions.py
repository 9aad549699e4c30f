"""Follow-up action items of an incident (the post-mortem's "could have, should have")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from warroom.core.incident import IncidentError

MAX_ACTION = 500


@dataclass(frozen=True)
class Action:
    incident_id: int
    number: int  # 1, 2, ... per incident
    text: str
    owner: str | None
    created_by: str
    created_at: datetime
    done_at: datetime | None = None
    done_by: str | None = None
    link: str | None = None  # the tracker issue, once opened

    @property
    def open(self) -> bool:
        return self.done_at is None


def new(
    *, incident_id: int, number: int, text: str, owner: str | None, actor: str, now: datetime
) -> Action:
    text = " ".join(text.split())
    if not text:
        raise IncidentError("An action item needs some text: what should be done?")
    if len(text) > MAX_ACTION:
        raise IncidentError(
            f"The action item is too long ({len(text)} characters, at most {MAX_ACTION})."
        )
    return Action(incident_id, number, text, owner, actor, now)


def done(action: Action, *, actor: str, now: datetime) -> Action:
    if not action.open:
        raise IncidentError(f"Action {action.number} of INC-{action.incident_id} is done already.")
    return Action(
        action.incident_id, action.number, action.text, action.owner, action.created_by,
        action.created_at, now, actor, action.link,
    )  # fmt: skip


def find(actions: list[Action], incident_id: int, number: int) -> Action:
    for action in actions:
        if action.number == number:
            return action
    raise IncidentError(f"INC-{incident_id} has no action {number}; `incident actions` lists them.")
