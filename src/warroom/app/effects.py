"""Effects: what the app decided to do outside the database, stored in the outbox first.

Each kind has one `EffectSpec` in `SPECS`: its outbox name and codec, whether the runtime runs it
in the background (I/O with timeouts: pages, tickets, status checks, rotation picks) or in order
on the delivery queue, the ordering key of foreground ones, and how it is applied (through the
`Apply` port the runtime implements). Adding an effect is one dataclass (in effect_types.py,
re-exported here), one spec and, when it needs something new from outside, one `Apply` method.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Generic, Protocol, TypeVar, cast

from warroom.app.effect_types import (
    CheckStatus,
    CreateChannel,
    Direct,
    Effect,
    Invite,
    OpenTicket,
    PageCall,
    PickResponder,
    Post,
    ReadIssues,
    RunPlugin,
    SetTopic,
    WriteFile,
)
from warroom.core.doc import Doc
from warroom.core.oncall import Contact, PageAction
from warroom.ports import Chat, ChatError, FindsUsers

__all__ = [
    "BY_KIND",
    "BY_TYPE",
    "SPECS",
    "Apply",
    "CheckStatus",
    "CreateChannel",
    "Delivery",
    "Direct",
    "Effect",
    "EffectSpec",
    "Invite",
    "OpenTicket",
    "PageCall",
    "PickResponder",
    "Post",
    "ReadIssues",
    "RunPlugin",
    "SetTopic",
    "Target",
    "UnknownEffect",
    "WriteFile",
    "apply",
    "dump",
    "is_background",
    "load",
    "spec_of",
    "target",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """An effect for one platform; `outbox_id` is set once it is committed to the outbox."""

    platform: str
    effect: Effect
    outbox_id: int | None = None


class UnknownEffect(ValueError):
    """An outbox row of a kind this version does not know: refused, never guessed."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"unknown outbox kind {kind!r}")
        self.kind = kind


class Apply(Protocol):
    """What applying an effect needs from the runtime."""

    def chat(self, platform: str) -> Chat: ...

    async def posted(self, platform: str, ref_key: str, ref: str) -> None: ...

    async def write_file(self, path: str, content: str) -> None: ...

    async def check_status(self, delivery: Delivery, effect: CheckStatus) -> None: ...

    async def page(self, delivery: Delivery, effect: PageCall) -> None: ...

    async def ticket(self, delivery: Delivery, effect: OpenTicket) -> None: ...

    async def read_issues(self, delivery: Delivery, effect: ReadIssues) -> None: ...

    async def pick(self, delivery: Delivery, effect: PickResponder) -> None: ...

    async def run_plugin(self, delivery: Delivery, effect: RunPlugin) -> None: ...


E = TypeVar("E")
Target = tuple[str, str]


@dataclass(frozen=True)
class EffectSpec(Generic[E]):
    """One effect kind: `kind` names it in the outbox; `encode`/`decode` are its JSON codec (the
    fields of existing outbox rows must keep loading); `background` effects run in their own
    task, the others in order per `target(platform, effect)` (one channel, one DM, one file);
    `apply` does it."""

    kind: str
    type: type[E]
    encode: Callable[[E], Mapping[str, Any]]
    decode: Callable[[dict[str, Any]], E]
    apply: Callable[[Apply, Delivery, E], Awaitable[object]]
    background: bool = False
    target: Callable[[str, E], Target] = lambda platform, _: (platform, "*")
    ensure_ascii: bool = True


def _doc(raw: str | None) -> Doc | None:
    return Doc.from_json(raw) if raw else None


async def _post(port: Apply, d: Delivery, e: Post) -> None:
    ref = await port.chat(d.platform).post(
        channel=e.channel, doc=e.doc, thread=e.thread, only_to=e.only_to
    )
    if e.ref_key is not None and ref is not None:
        await port.posted(d.platform, e.ref_key, ref)
    if e.then is not None:
        try:
            await spec_of(e.then).apply(port, Delivery(d.platform, e.then), e.then)
        except ChatError as exc:  # the post itself went out: it is not sent again for this
            log.error("could not confirm a post in %s: %s", e.channel, exc)


def _encode_post(e: Post) -> dict[str, Any]:
    data: dict[str, Any] = {
        "channel": e.channel, "doc": e.doc.to_json(), "thread": e.thread, "only_to": e.only_to
    }  # fmt: skip
    if e.ref_key is not None:
        data["ref_key"] = e.ref_key
    if e.then is not None:
        kind, payload = dump(e.then)
        data["then"] = {"kind": kind, "payload": payload}
    return data


def _decode_post(d: dict[str, Any]) -> Post:
    then = d.get("then")
    after = load(then["kind"], then["payload"]) if then else None
    if after is not None and not isinstance(after, Post | Direct):
        raise UnknownEffect(f"post then {type(after).__name__}")
    return Post(
        d["channel"], Doc.from_json(d["doc"]), d["thread"], d["only_to"], d.get("ref_key"), after
    )


async def _invite(chat: Chat, e: Invite) -> None:
    """Invite the handles, and the e-mails the platform can find; then say who could not be
    invited (after inviting everyone else)."""
    users = list(e.users)
    missing: list[str] = []
    finder = cast(FindsUsers, chat) if callable(getattr(chat, "find_user", None)) else None
    for email in e.emails:
        found = await finder.find_user(email=email) if finder is not None else None
        if found:
            users.append(found)
        else:
            missing.append(email)
    await chat.invite(channel=e.channel, users=list(dict.fromkeys(users)))
    if missing:
        how = "could not find" if finder is not None else "cannot look up people by e-mail:"
        raise ChatError(
            f"I {how} {', '.join(missing)} on {chat.platform}, so they are not invited to "
            f"#{e.channel}: send them the link.",
            fix="people on call only in a pager vendor are invited by e-mail; on Slack that "
            "needs users.lookupByEmail (scope users:read.email)",
        )


def _encode_page(e: PageCall) -> dict[str, Any]:
    return {
        "page_id": e.page_id,
        "provider": e.provider,
        "action": e.action.value,
        "key": e.key,
        "summary": e.summary,
        "schedules": list(e.schedules),
        "people": [asdict(p) for p in e.people],
        # Only when set: rows written before these fields existed dump as they were.
        **({"war_room": e.war_room} if e.war_room is not None else {}),
        **({"attempt": e.attempt} if e.attempt != 1 else {}),
    }


def _decode_page(data: dict[str, Any]) -> PageCall:
    return PageCall(
        page_id=data["page_id"],
        provider=data["provider"],
        action=PageAction(data["action"]),
        key=data["key"],
        summary=data["summary"],
        schedules=tuple(data["schedules"]),
        people=tuple(Contact(**p) for p in data["people"]),
        war_room=data.get("war_room"),
        attempt=int(data.get("attempt", 1)),
    )


def _in_channel(platform: str, e: Post | SetTopic | Invite) -> Target:
    return (platform, "#" + e.channel)


SPECS: tuple[EffectSpec[Any], ...] = (
    EffectSpec(
        "post",
        Post,
        _encode_post,
        _decode_post,
        _post,
        target=_in_channel,
    ),
    EffectSpec(
        "direct",
        Direct,
        lambda e: {"user": e.user, "doc": e.doc.to_json()},
        lambda d: Direct(d["user"], Doc.from_json(d["doc"])),
        lambda port, d, e: port.chat(d.platform).direct(user=e.user, doc=e.doc),
        target=lambda platform, e: (platform, "@" + e.user),
    ),
    EffectSpec(
        "topic",
        SetTopic,
        lambda e: {"channel": e.channel, "topic": e.topic.to_json() if e.topic else None},
        lambda d: SetTopic(d["channel"], _doc(d["topic"])),
        lambda port, d, e: port.chat(d.platform).set_topic(channel=e.channel, topic=e.topic),
        target=_in_channel,
    ),
    EffectSpec(
        "file",
        WriteFile,
        lambda e: {"path": e.path, "content": e.content},
        lambda d: WriteFile(d["path"], d["content"]),
        lambda port, d, e: port.write_file(e.path, e.content),
        target=lambda platform, e: ("files", e.path),
    ),
    EffectSpec(
        "status",
        CheckStatus,
        lambda e: {
            "channel": e.channel,
            "purpose": e.purpose,
            "lead": e.lead.to_json() if e.lead else None,
            "thread": e.thread,
            "user": e.user,
            "stalk_id": e.stalk_id,
        },
        lambda d: CheckStatus(
            d["channel"], d["purpose"], _doc(d["lead"]), d["thread"], d["user"], d["stalk_id"]
        ),
        lambda port, d, e: port.check_status(d, e),
        background=True,
    ),
    EffectSpec(
        "channel",
        CreateChannel,
        lambda e: {"name": e.name},
        lambda d: CreateChannel(d["name"]),
        lambda port, d, e: port.chat(d.platform).create_channel(name=e.name),
        target=lambda platform, e: (platform, "#" + e.name),
    ),
    EffectSpec(
        "invite",
        Invite,
        lambda e: {
            "channel": e.channel,
            "users": list(e.users),
            **({"emails": list(e.emails)} if e.emails else {}),
        },
        lambda d: Invite(d["channel"], tuple(d["users"]), tuple(d.get("emails") or ())),
        lambda port, d, e: _invite(port.chat(d.platform), e),
        target=_in_channel,
    ),
    EffectSpec(
        "page",
        PageCall,
        _encode_page,
        _decode_page,
        lambda port, d, e: port.page(d, e),
        background=True,
        ensure_ascii=False,
    ),
    EffectSpec(
        "ticket",
        OpenTicket,
        # `retry` only when set: rows written before it existed dump as they were.
        lambda e: {k: v for k, v in asdict(e).items() if k != "retry" or v},
        lambda d: OpenTicket(**d),
        lambda port, d, e: port.ticket(d, e),
        background=True,
        ensure_ascii=False,
    ),
    EffectSpec(
        "issues",
        ReadIssues,
        lambda e: {"keys": list(e.keys)},
        lambda d: ReadIssues(tuple(d["keys"])),
        lambda port, d, e: port.read_issues(d, e),
        background=True,
    ),
    EffectSpec(
        "pick",
        PickResponder,
        lambda e: {"page_id": e.page_id, "step": e.step},
        lambda d: PickResponder(int(d["page_id"]), int(d["step"])),
        lambda port, d, e: port.pick(d, e),
        background=True,
    ),
    EffectSpec(
        "plugin",
        RunPlugin,
        asdict,
        lambda d: RunPlugin(**d),
        lambda port, d, e: port.run_plugin(d, e),
        background=True,
        ensure_ascii=False,
    ),
)

BY_KIND: dict[str, EffectSpec[Any]] = {spec.kind: spec for spec in SPECS}
BY_TYPE: dict[type[Any], EffectSpec[Any]] = {spec.type: spec for spec in SPECS}
assert len(BY_KIND) == len(SPECS) == len(BY_TYPE), "one spec per kind and per effect type"


def spec_of(effect: Effect) -> EffectSpec[Any]:
    try:
        return BY_TYPE[type(effect)]
    except KeyError:
        raise TypeError(f"{type(effect).__name__} has no effect spec") from None


def dump(effect: Effect) -> tuple[str, str]:
    """(kind, payload) for the outbox table."""
    spec = spec_of(effect)
    return spec.kind, json.dumps(spec.encode(effect), ensure_ascii=spec.ensure_ascii)


def load(kind: str, payload: str) -> Effect:
    """The effect of an outbox row; `UnknownEffect` for a kind no spec names."""
    spec = BY_KIND.get(kind)
    if spec is None:
        raise UnknownEffect(kind)
    effect: Effect = spec.decode(json.loads(payload))
    return effect


def is_background(effect: Effect) -> bool:
    return spec_of(effect).background


def target(platform: str, effect: Effect) -> Target:
    """Where order matters: one channel, one DM, one file."""
    return spec_of(effect).target(platform, effect)


async def apply(port: Apply, delivery: Delivery) -> None:
    effect = delivery.effect
    await spec_of(effect).apply(port, delivery, effect)
