"""Users' and channels' names and IDs, listed from Slack and cached."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from contextlib import aclosing
from typing import Any

from warroom.chat.slack.client import SlackApi
from warroom.ports import ChatError

log = logging.getLogger(__name__)

_PLAIN_USER = re.compile(r"(?<![<\w])@([a-z0-9][a-z0-9._\-]{0,79})")


class SlackDirectory:
    """Users' and channels' names and IDs, listed from Slack and kept `ttl` seconds.

    One mapping: `U123` -> `hormoz`, `@hormoz` -> `U123`, `C123` -> `support`,
    `#support` -> `C123`. A name not found refreshes the lists, at most every 30 seconds."""

    MIN_REFRESH = 30.0

    def __init__(
        self, api: SlackApi, *, ttl: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.api = api
        self.ttl = ttl
        self.clock = clock
        self._names: dict[str, str] = {}
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()

    async def names(self, wanted: set[str]) -> dict[str, str]:
        age = self.clock() - self._loaded_at
        missing = any(key not in self._names for key in wanted)
        if age > self.ttl or (missing and age > min(self.MIN_REFRESH, self.ttl)):
            async with self._lock:
                if self._loaded_at < self.clock() - min(self.MIN_REFRESH, self.ttl):
                    await self._load()
        return self._names

    def learn_channel(self, channel_id: str, name: str) -> None:
        """A channel we just created or found: usable by name at once, without a new listing
        (which may be 30 seconds away)."""
        self._names[channel_id] = name
        self._names["#" + name] = channel_id

    async def _load(self) -> None:
        names: dict[str, str] = {}
        try:
            for user in await self._list("users.list", "members"):
                if user.get("id") and user.get("name") and not user.get("deleted"):
                    names[user["id"]] = user["name"]
                    names["@" + user["name"]] = user["id"]
            for channel in await self._list(
                "conversations.list", "channels", types="public_channel,private_channel"
            ):
                if channel.get("id") and channel.get("name"):
                    names[channel["id"]] = channel["name"]
                    names["#" + channel["name"]] = channel["id"]
        except ChatError as exc:
            log.warning("cannot list Slack users and channels: %s Fix: %s", exc, exc.fix)
        else:
            self._names = names
        self._loaded_at = self.clock()

    async def _list(self, method: str, key: str, **args: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        async with aclosing(self.api.pages(method, limit=1000, **args)) as pages:
            async for page in pages:
                found.extend(page.get(key) or [])
        return found


async def link_typed_users(text: str, directory: SlackDirectory) -> str:
    """`@hormoz` typed as plain text (a slash command, an API client) -> `<@U123>` when Slack
    knows the name, as Slack's own composer does."""
    wanted = {"@" + m[1] for m in _PLAIN_USER.finditer(text)} - {"@here", "@channel", "@everyone"}
    if not wanted:
        return text
    names = await directory.names(wanted)
    return _PLAIN_USER.sub(
        lambda m: f"<@{names['@' + m[1]]}>" if "@" + m[1] in names else m[0], text
    )


_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,40})(?:\|[^>]*)?>")


async def mentioned_users(
    text: str, directory: SlackDirectory
) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """The users mentioned as `<@U…>`: (ID, username) of those Slack knows, and the IDs it does
    not (someone not in this workspace), so the app can find the first in the roster and refuse
    the second a role."""
    ids = list(dict.fromkeys(m[1] for m in _MENTION.finditer(text)))
    if not ids:
        return (), ()
    names = await directory.names(set(ids))
    known = tuple((i, names[i]) for i in ids if i in names)
    # Only a directory that has listed the workspace can say someone is not in it.
    unknown = tuple(i for i in ids if i not in names) if names else ()
    return known, unknown
