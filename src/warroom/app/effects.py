"""Effects: what the app decided to do outside the database, stored in the outbox first."""

from __future__ import annotations

import json
from dataclasses import dataclass

from warroom.render.doc import Doc


@dataclass(frozen=True)
class Post:
    channel: str
    doc: Doc
    thread: str | None = None
    only_to: str | None = None


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


Effect = Post | Direct | SetTopic | WriteFile


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
        return "post", json.dumps(data)
    if isinstance(effect, Direct):
        return "direct", json.dumps({"user": effect.user, "doc": effect.doc.to_json()})
    if isinstance(effect, SetTopic):
        topic = effect.topic.to_json() if effect.topic else None
        return "topic", json.dumps({"channel": effect.channel, "topic": topic})
    return "file", json.dumps({"path": effect.path, "content": effect.content})


def load(kind: str, payload: str) -> Effect:
    data = json.loads(payload)
    if kind == "post":
        return Post(data["channel"], Doc.from_json(data["doc"]), data["thread"], data["only_to"])
    if kind == "direct":
        return Direct(data["user"], Doc.from_json(data["doc"]))
    if kind == "topic":
        return SetTopic(data["channel"], Doc.from_json(data["topic"]) if data["topic"] else None)
    if kind == "file":
        return WriteFile(data["path"], data["content"])
    raise ValueError(f"unknown outbox kind {kind!r}")
