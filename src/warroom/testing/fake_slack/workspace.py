"""The fake workspace's state: users, conversations and who is in them, as Slack sees them."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

BOT_USER = "UBOT"
BOT_ID = "BBOT"
TEAM = "T0001"


@dataclass
class Call:
    """One Web API call as the fake received it."""

    method: str
    args: dict[str, Any]
    at: float
    token: str | None = None
    status: int = 200


@dataclass
class Channel:
    """A conversation: a channel, a private channel, or an IM (`im_user` set)."""

    id: str
    name: str
    topic: str = ""
    members: set[str] = field(default_factory=set)
    archived: bool = False
    is_private: bool = False
    im_user: str | None = None

    @property
    def kind(self) -> str:
        """`public`, `private` or `im`: what the scopes of a method depend on."""
        if self.im_user is not None:
            return "im"
        return "private" if self.is_private else "public"


class SlackError(Exception):
    """Slack's `{"ok": false, "error": ...}` answer."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


def is_user_id(ref: str) -> bool:
    return ref[:1] in ("U", "W") and ref[1:].isalnum() and ref.upper() == ref


class Workspace:
    """Users (ID -> name), conversations by ID, and the lookups Slack's methods make."""

    def __init__(
        self, users: dict[str, str], scopes: frozenset[str] | None, page_size: int | None
    ) -> None:
        self.users = users
        self.scopes = scopes  # None: every scope
        self.scopes_used: set[str] = set()
        self.page_size = page_size  # the most items a listing answers with, whatever `limit`
        self.presences: dict[str, str] = {}  # user ID -> "away"; everyone else is "active"
        # e-mail -> user ID, for users.lookupByEmail; a test sets the addresses it needs.
        self.emails: dict[str, str] = {}
        self.channels: dict[str, Channel] = {}
        self.port = 0
        self.connections_opened = 0
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)

    def channel(
        self, id_: str, name: str | None = None, *, joined: bool = True, **kw: Any
    ) -> Channel:
        """The channel `id_`, created (named `name`, the bot a member unless `joined=False`)
        if it does not exist yet."""
        found = self.channels.get(id_)
        if found is None:
            found = Channel(id_, name or id_.lower(), **kw)
            if joined:
                found.members.add(BOT_USER)
            self.channels[id_] = found
        return found

    def im(self, user: str, id_: str | None = None) -> Channel:
        """The app's DM with `user`: `id_`, or the one known; else a new one (`id_` or
        `D<user>`)."""
        if id_ is not None:
            found = self.channels.get(id_)
        else:
            found = next((c for c in self.channels.values() if c.im_user == user), None)
        if found is None:
            found = self.channel(
                id_ or "D" + user, "dm-" + self.users.get(user, user.lower()), im_user=user
            )
            found.members.add(user)
        return found

    def granted(self, scope: str) -> bool:
        if self.scopes is None:
            return True
        if scope in self.scopes:
            self.scopes_used.add(scope)
            return True
        return False

    def next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def new_id(self) -> int:
        return next(self._ids)

    def visible(self, channel: Channel) -> bool:
        """Slack hides private channels and IMs the bot is not in: they are `channel_not_found`."""
        return channel.kind == "public" or BOT_USER in channel.members

    def conversation(self, ref: str, *, by_name: bool = False, dm: bool = False) -> Channel:
        """The conversation `ref` names, as the bot may see it. An ID always; with `dm` a user
        ID too (the app's DM with them); with `by_name` a channel's name (`support`,
        `#support`), as chat.postMessage takes it. Anything else is `channel_not_found`."""
        if dm and is_user_id(ref) and ref in self.users:
            return self.im(ref)
        found = self.channels.get(ref)
        if found is None and by_name:
            name = ref.removeprefix("#")
            found = next(
                (c for c in self.channels.values() if c.name == name and c.im_user is None), None
            )
        if found is None or not self.visible(found):
            raise SlackError("channel_not_found")
        return found

    def kind_of(self, ref: str) -> str:
        """The kind of conversation `ref` is, for the scope check (public when unknown)."""
        if is_user_id(ref) or ref.startswith("D"):
            return "im"
        channel = self.channels.get(ref) or next(
            (c for c in self.channels.values() if c.name == ref.removeprefix("#")), None
        )
        return channel.kind if channel is not None else "public"

    def user(self, user: str) -> str:
        """A user's name by ID; `user_not_found` for an ID the workspace does not have."""
        if user not in self.users:
            raise SlackError("user_not_found")
        return self.users[user]

    @staticmethod
    def info(channel: Channel) -> dict[str, Any]:
        return {
            "id": channel.id,
            "name": channel.name,
            "is_channel": channel.kind == "public",
            "is_private": channel.is_private,
            "is_im": channel.im_user is not None,
            "is_archived": channel.archived,
            "is_member": BOT_USER in channel.members,
            "topic": {"value": channel.topic},
        }
