"""Effects: what the app decided to do outside the database, stored in the outbox first."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from warroom.core.doc import Doc
from warroom.core.oncall import Contact, PageAction


@dataclass(frozen=True)
class Post:
    channel: str
    doc: Doc
    thread: str | None = None
    only_to: str | None = None
    # Set when the app needs the posted message's ref back (`App.message_posted`): a rotation
    # ping, whose 👀 acknowledges the page.
    ref_key: str | None = None


@dataclass(frozen=True)
class Direct:
    user: str
    doc: Doc


@dataclass(frozen=True)
class SetTopic:
    channel: str
    topic: Doc | None


@dataclass(frozen=True)
class WriteFile:
    path: str
    content: str


@dataclass(frozen=True)
class CheckStatus:
    """Check the status sources, then post to `channel` (or DM `user`) per `purpose`:
    `report` (components), `incidents` (unresolved), `summary` (both, at incident start/stop,
    after `lead`), `stalk` (only what changed since the stalk's last look)."""

    channel: str
    purpose: str
    lead: Doc | None = None
    thread: str | None = None
    user: str | None = None
    stalk_id: int | None = None


@dataclass(frozen=True)
class CreateChannel:
    """A war room; `name` is also its identifier where the platform allows."""

    name: str


@dataclass(frozen=True)
class Invite:
    channel: str
    users: tuple[str, ...]


@dataclass(frozen=True)
class PageCall:
    """Trigger, acknowledge or resolve page `page_id` through `provider` under `key`. Delivered
    off the delivery queue with retries; the outcome goes back through `App.page_outcome`."""

    page_id: int
    provider: str
    action: PageAction
    key: str
    summary: str
    schedules: tuple[str, ...] = ()
    people: tuple[Contact, ...] = ()


@dataclass(frozen=True)
class OpenTicket:
    """Open a tracker issue for `incident_id` (`key`: once per intent); the outcome goes back
    through `App.ticket_outcome`."""

    incident_id: int
    key: str
    summary: str
    description: str
    reply_platform: str
    reply_channel: str


@dataclass(frozen=True)
class PickResponder:
    """Find who to ping for step `step` of rotation page `page_id`: presence is I/O, so the
    runtime asks it for the head of the queue, then `App.rotation_presence` picks and pings."""

    page_id: int
    step: int


Effect = (
    Post
    | Direct
    | SetTopic
    | WriteFile
    | CheckStatus
    | CreateChannel
    | Invite
    | PageCall
    | OpenTicket
    | PickResponder
)


@dataclass(frozen=True)
class Delivery:
    """An effect for one platform; `outbox_id` is set once it is committed to the outbox."""

    platform: str
    effect: Effect
    outbox_id: int | None = None


def dump(effect: Effect) -> tuple[str, str]:
    """(kind, payload) for the outbox table."""
    if isinstance(effect, Post):
        data: dict[str, str | None] = {
            "channel": effect.channel,
            "doc": effect.doc.to_json(),
            "thread": effect.thread,
            "only_to": effect.only_to,
        }
        if effect.ref_key is not None:
            data["ref_key"] = effect.ref_key
        return "post", json.dumps(data)
    if isinstance(effect, Direct):
        return "direct", json.dumps({"user": effect.user, "doc": effect.doc.to_json()})
    if isinstance(effect, SetTopic):
        topic = effect.topic.to_json() if effect.topic else None
        return "topic", json.dumps({"channel": effect.channel, "topic": topic})
    if isinstance(effect, CheckStatus):
        check: dict[str, Any] = {
            "channel": effect.channel,
            "purpose": effect.purpose,
            "lead": effect.lead.to_json() if effect.lead else None,
            "thread": effect.thread,
            "user": effect.user,
            "stalk_id": effect.stalk_id,
        }
        return "status", json.dumps(check)
    if isinstance(effect, CreateChannel):
        return "channel", json.dumps({"name": effect.name})
    if isinstance(effect, Invite):
        return "invite", json.dumps({"channel": effect.channel, "users": list(effect.users)})
    if isinstance(effect, PageCall):
        page = {
            "page_id": effect.page_id,
            "provider": effect.provider,
            "action": effect.action.value,
            "key": effect.key,
            "summary": effect.summary,
            "schedules": list(effect.schedules),
            "people": [asdict(p) for p in effect.people],
        }
        return "page", json.dumps(page, ensure_ascii=False)
    if isinstance(effect, OpenTicket):
        return "ticket", json.dumps(asdict(effect), ensure_ascii=False)
    if isinstance(effect, PickResponder):
        return "pick", json.dumps({"page_id": effect.page_id, "step": effect.step})
    return "file", json.dumps({"path": effect.path, "content": effect.content})


def load(kind: str, payload: str) -> Effect:
    data = json.loads(payload)
    if kind == "post":
        return Post(
            data["channel"],
            Doc.from_json(data["doc"]),
            data["thread"],
            data["only_to"],
            data.get("ref_key"),
        )
    if kind == "pick":
        return PickResponder(int(data["page_id"]), int(data["step"]))
    if kind == "direct":
        return Direct(data["user"], Doc.from_json(data["doc"]))
    if kind == "topic":
        return SetTopic(data["channel"], Doc.from_json(data["topic"]) if data["topic"] else None)
    if kind == "file":
        return WriteFile(data["path"], data["content"])
    if kind == "status":
        lead = Doc.from_json(data["lead"]) if data["lead"] else None
        return CheckStatus(
            data["channel"], data["purpose"], lead, data["thread"], data["user"], data["stalk_id"]
        )
    if kind == "channel":
        return CreateChannel(data["name"])
    if kind == "invite":
        return Invite(data["channel"], tuple(data["users"]))
    if kind == "page":
        return PageCall(
            page_id=data["page_id"],
            provider=data["provider"],
            action=PageAction(data["action"]),
            key=data["key"],
            summary=data["summary"],
            schedules=tuple(data["schedules"]),
            people=tuple(Contact(**p) for p in data["people"]),
        )
    if kind == "ticket":
        return OpenTicket(**data)
    raise ValueError(f"unknown outbox kind {kind!r}")
