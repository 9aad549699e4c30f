"""Fakes of the ports: they record what the app did, in the shell's one-line-per-action form."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from warroom.core.doc import Doc, render_plain
from warroom.core.oncall import Contact
from warroom.ports import PagerError


@dataclass(frozen=True)
class Sent:
    """One action of the bot. `where` is `#channel` or `dm @user`."""

    kind: str  # post, direct, topic, channel, invite
    where: str
    text: str
    thread: str | None = None
    only_to: str | None = None
    ref: str | None = None

    def lines(self) -> list[str]:
        if self.kind in ("channel", "invite"):
            return [f"[{self.where}] {self.text}"]
        if self.kind == "topic":
            return [
                f"[{self.where}] topic: {self.text}"
                if self.text
                else f"[{self.where}] topic cleared"
            ]
        who = (
            "bot"
            + (" (thread)" if self.thread else "")
            + (f" (to @{self.only_to})" if self.only_to else "")
        )
        return [f"[{self.where}] {who}: {text}" for text in self.text.split("\n")]


class FakeChat:
    """The Chat port in memory."""

    def __init__(self, platform: str = "shell") -> None:
        self.platform = platform
        self.sent: list[Sent] = []
        self.topics: dict[str, str | None] = {}
        self.channels: set[str] = set()
        self.members: dict[str, set[str]] = {}
        # People the platform can find by e-mail (`find_user`): e-mail -> user.
        self.users_by_email: dict[str, str] = {}
        self._refs = itertools.count(1)

    async def post(
        self, *, channel: str, doc: Doc, thread: str | None = None, only_to: str | None = None
    ) -> str | None:
        ref = f"b{next(self._refs)}"
        self.sent.append(Sent("post", f"#{channel}", render_plain(doc), thread, only_to, ref))
        return ref

    async def direct(self, *, user: str, doc: Doc) -> str | None:
        ref = f"b{next(self._refs)}"
        self.sent.append(Sent("direct", f"dm @{user}", render_plain(doc), ref=ref))
        return ref

    async def set_topic(self, *, channel: str, topic: Doc | None) -> None:
        text = render_plain(topic) if topic else None
        self.topics[channel] = text
        self.sent.append(Sent("topic", f"#{channel}", text or ""))

    async def create_channel(self, *, name: str) -> str:
        name = name.lstrip("#")
        self.channels.add(name)
        self.sent.append(Sent("channel", f"#{name}", "channel created"))
        return name

    async def invite(self, *, channel: str, users: list[str]) -> None:
        self.members.setdefault(channel, set()).update(users)
        invited = ", ".join("@" + u for u in users)
        self.sent.append(Sent("invite", f"#{channel}", f"invited {invited}"))

    async def find_user(self, *, email: str) -> str | None:
        return self.users_by_email.get(email.lower())

    def lines(self, start: int = 0) -> list[str]:
        return [text for sent in self.sent[start:] for text in sent.lines()]


class FakePresence:
    """The Presence port in memory: everyone is `active` unless set otherwise; counts calls."""

    def __init__(self, default: str = "active") -> None:
        self.default = default
        self.statuses: dict[str, str] = {}
        self.calls = 0

    def set(self, user: str, status: str) -> None:
        self.statuses[user.lstrip("@")] = status

    async def presence(self, *, user: str) -> str:
        self.calls += 1
        return self.statuses.get(user, self.default)


class FixedClock:
    """A clock that moves only when told."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = now

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now

    def set(self, now: datetime) -> None:
        self._now = now


class FakePager:
    """The Pager port in memory: `on_call` answers from `schedules`; every call is recorded as
    (action, key); `errors` is a queue of exceptions to raise on the next calls; `war_rooms`
    records the war room of each trigger (by key). `alerts` holds one entry per dedup key, as
    a vendor folds triggers with one key into one alert."""

    def __init__(self, name: str, schedules: dict[str, list[Contact]] | None = None) -> None:
        self.name = name
        self.schedules = schedules or {}
        self.calls: list[tuple[str, str]] = []
        self.errors: list[Exception] = []
        self.war_rooms: dict[str, str | None] = {}
        self.alerts: dict[str, str] = {}

    def _next(self, action: str, key: str) -> None:
        self.calls.append((action, key))
        if self.errors:
            raise self.errors.pop(0)

    async def on_call(self, *, schedule: str) -> list[Contact]:
        self._next("on_call", schedule)
        if schedule not in self.schedules:
            raise PagerError(f"no schedule {schedule!r}")
        return list(self.schedules[schedule])

    async def trigger(
        self,
        *,
        key: str,
        summary: str,
        schedules: list[str],
        people: list[Contact],
        war_room: str | None = None,
    ) -> None:
        self._next("trigger", key)
        self.war_rooms[key] = war_room
        self.alerts.setdefault(key, summary)

    async def acknowledge(self, *, key: str) -> None:
        self._next("acknowledge", key)

    async def resolve(self, *, key: str) -> None:
        self._next("resolve", key)
