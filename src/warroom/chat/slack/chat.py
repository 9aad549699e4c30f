"""`SlackChat`: the Chat port on Slack's Web API, paced per channel."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from warroom.chat.slack.client import PLATFORM, SlackApi, Where
from warroom.chat.slack.directory import SlackDirectory
from warroom.chat.slack.errors import where as _where
from warroom.core.doc import ChannelRef, Doc, Mention
from warroom.ports import ChatError
from warroom.render import slack as render


@dataclass
class _Bucket:
    tokens: float
    at: float


class Pacer:
    """A token bucket per channel: `burst` posts at once, then `rate` per second.
    The slot is reserved before waiting, so concurrent posts queue up in order."""

    def __init__(self, *, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, _Bucket] = {}

    async def wait(self, channel: str) -> None:
        now = time.monotonic()
        bucket = self._buckets.get(channel)
        if bucket is None:
            if len(self._buckets) > 10_000:
                self._buckets = {k: b for k, b in self._buckets.items() if b.tokens < self.burst}
            bucket = self._buckets[channel] = _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.rate) - 1
        bucket.at = now
        if bucket.tokens < 0:
            await asyncio.sleep(-bucket.tokens / self.rate)


class SlackChat:
    """The Chat port on Slack's Web API."""

    platform = PLATFORM

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        bot_name: str = "warroom",
        posts_per_second: float = 1.0,
        burst: int = 3,
        cache_seconds: float = 600.0,
    ) -> None:
        self.client = client
        self.bot_name = bot_name
        self.api = SlackApi(client, bot_name=bot_name)
        self.pacer = Pacer(rate=posts_per_second, burst=burst)
        self.directory = SlackDirectory(self.api, ttl=cache_seconds)

    async def call(self, method: str, **args: Any) -> dict[str, Any]:
        return await self.api.call(method, **args)

    async def _names(self, doc: Doc, *channels: str) -> Mapping[str, str]:
        """The names and IDs this doc needs: IDs in users' text, names of mentions/channels."""
        wanted = render.typed_ids(doc)
        for line in doc.lines:
            for seg in line:
                if isinstance(seg, Mention) and not render.is_user_id(seg.user):
                    wanted.add("@" + seg.user)
                elif isinstance(seg, ChannelRef) and not render.is_channel_id(seg.channel):
                    wanted.add("#" + seg.channel)
        # Names only: channel IDs, and user IDs (a DM), need no lookup.
        wanted.update(
            "#" + c for c in channels if not (render.is_channel_id(c) or render.is_user_id(c))
        )
        if not wanted:
            return render.NO_NAMES
        return await self.directory.names(wanted)

    def _where(self, channel: str) -> Where:
        """The channel as people know it (#name, not its ID), for an error message."""

        async def named() -> str:
            if render.is_channel_id(channel):
                name = (await self.directory.names({channel})).get(channel)
                if name is not None:
                    return _where(name)
            return _where(channel)

        return named

    async def post(
        self, *, channel: str, doc: Doc, thread: str | None = None, only_to: str | None = None
    ) -> str | None:
        names = await self._names(doc, channel)
        where = self._where(channel)
        channel = names.get("#" + channel, channel)  # a team's channel by name -> its ID
        args: dict[str, Any] = {"channel": channel, "text": render.mrkdwn(doc, names)}
        blocks = render.blocks(doc, names)
        if blocks is not None:
            args["blocks"] = blocks
        if thread:
            args["thread_ts"] = thread
        if only_to:
            data = await self.api.call("chat.postEphemeral", where=where, user=only_to, **args)
            return str(data.get("message_ts") or "") or None
        await self.pacer.wait(channel)
        data = await self.api.call("chat.postMessage", where=where, unfurl_links=False, **args)
        return str(data.get("ts") or "") or None

    async def direct(self, *, user: str, doc: Doc) -> str | None:
        """Posting to a user ID lands in the app's DM with them. A name (a roster handle such
        as `carol`) is looked up first: Slack refuses a DM to anything but an ID."""
        handle = user.lstrip("@")
        if not render.is_user_id(handle):
            found = (await self.directory.names({"@" + handle})).get("@" + handle)
            if found is None:
                raise ChatError(
                    f"I could not find @{handle} on Slack, so they did not get my DM.",
                    fix=f"no Slack user is named {handle!r}: make the roster handle their "
                    "Slack username",
                )
            handle = found
        return await self.post(channel=handle, doc=doc)

    async def set_topic(self, *, channel: str, topic: Doc | None) -> None:
        names = await self._names(topic, channel) if topic is not None else render.NO_NAMES
        text = render.topic(topic, names) if topic is not None else ""
        channel = names.get("#" + channel, channel)
        await self.api.call(
            "conversations.setTopic", where=self._where(channel), channel=channel, topic=text
        )

    async def presence(self, *, user: str) -> str:
        """`active` or `away` from users.getPresence (about 50 calls a minute: the rotation
        caches answers and asks only for the head of its queue)."""
        user = user.lstrip("@")
        if not render.is_user_id(user):  # a roster handle: its user ID
            user = (await self.directory.names({"@" + user})).get("@" + user, user)
        data = await self.api.call("users.getPresence", where="presence", user=user)
        return str(data.get("presence") or "away")

    async def find_user(self, *, email: str) -> str | None:
        """The user ID of the workspace member with `email` (users.lookupByEmail: someone on
        call in PagerDuty or Opsgenie whom the roster does not name), or None."""
        try:
            data = await self.api.call("users.lookupByEmail", where="lookup", email=email)
        except ChatError as exc:
            if "users_not_found" in exc.fix or "users_not_found" in str(exc):
                return None
            raise
        user = data.get("user") or {}
        return str(user["id"]) if user.get("id") else None

    async def create_channel(self, *, name: str) -> str:
        name = name.lstrip("#").lower()
        try:
            data = await self.api.call("conversations.create", where=f"#{name}", name=name)
        except ChatError as exc:
            if "name_taken" not in exc.fix:
                raise
            found = await self.find_channel(name)
            if found is None:
                raise
            self.directory.learn_channel(found, name)
            return found
        channel_id = str(data["channel"]["id"])
        self.directory.learn_channel(channel_id, name)  # the war room is bound by its name
        return channel_id

    async def find_channel(self, name: str) -> str | None:
        """The ID of the channel called `name` (public, or private with the bot in it)."""
        listing = self.api.pages(
            "conversations.list",
            types="public_channel,private_channel",
            exclude_archived=True,
            limit=1000,
        )
        async with aclosing(listing) as pages:
            async for page in pages:
                for channel in page.get("channels") or []:
                    if channel.get("name") == name:
                        return str(channel["id"])
        return None

    async def invite(self, *, channel: str, users: list[str]) -> None:
        """`channel` and `users` by ID or by name (`!ir page` invites roster handles into the
        war room it just created by name)."""
        if not users:
            return
        handles = [u.lstrip("@") for u in users]
        wanted = {"@" + h for h in handles if not render.is_user_id(h)}
        channel = channel.lstrip("#")
        if not render.is_channel_id(channel):
            wanted.add("#" + channel)
        names = await self.directory.names(wanted) if wanted else {}
        channel = names.get("#" + channel, channel)
        ids = list(dict.fromkeys(names.get("@" + h, h) for h in handles))
        try:
            await self.api.call(
                "conversations.invite",
                where=self._where(channel),
                channel=channel,
                users=",".join(ids),
            )
        except ChatError as exc:
            if "already_in_channel" not in exc.fix:
                raise
