"""Slack's events and slash commands as the `ChatMessage` / `Reaction` the runtime takes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from warroom.chat.slack.client import PLATFORM
from warroom.ports import ChatMessage, Reaction

# The event types we listen to, and the subscriptions manifest.yml needs for each.
EVENTS = {
    "message": ("message.channels", "message.groups", "message.im"),
    "app_mention": ("app_mention",),
    "reaction_added": ("reaction_added",),
}
# Message subtypes that are still a person writing; every other subtype (joins, edits, bots,
# topic changes) is not for us.
USER_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})
_LEADING_MENTION = re.compile(r"^\s*<@([A-Z0-9]+)(?:\|[^>]*)?>[\s:,]*")


def to_message(event: dict[str, Any], *, bot_user: str | None) -> ChatMessage | None:
    """A Slack `message` / `app_mention` event as a ChatMessage; None when it is not a person
    writing (the bot itself, other bots, joins, edits, deletions)."""
    if event.get("subtype") not in USER_SUBTYPES or event.get("bot_id"):
        return None
    user = event.get("user")
    channel = event.get("channel")
    ts = event.get("ts")
    if not user or not channel or not ts or user == bot_user:
        return None
    text = str(event.get("text") or "")
    mentioned = False
    match = _LEADING_MENTION.match(text)
    if match and bot_user and match[1] == bot_user:
        text, mentioned = text[match.end() :], True
    is_dm = event.get("channel_type") == "im" or str(channel).startswith("D")
    return ChatMessage(
        platform=PLATFORM,
        user=str(user),
        channel=str(channel),
        text=text,
        is_dm=is_dm,
        mentioned=mentioned,
        ref=str(ts),
        thread=event.get("thread_ts"),
        # A message comes as `message` and again as `app_mention`, each with its own
        # event_id; both are this message, which must be acted on once.
        event_id=f"slack:{channel}:{ts}",
    )


def slash_message(command: dict[str, Any], mapping: Mapping[str, str]) -> ChatMessage | None:
    """`/incident start me ...` -> the command `incident start me ...`, addressed to us."""
    name = str(command.get("command") or "")
    if name not in mapping or not command.get("user_id") or not command.get("channel_id"):
        return None
    text = " ".join(p for p in (mapping[name], str(command.get("text") or "").strip()) if p)
    channel = str(command["channel_id"])
    return ChatMessage(
        platform=PLATFORM,
        user=str(command["user_id"]),
        channel=channel,
        text=text or "help",
        is_dm=channel.startswith("D"),
        mentioned=True,
    )


def to_reaction(event: dict[str, Any], *, event_id: str | None) -> Reaction | None:
    item = event.get("item") or {}
    if item.get("type") != "message" or not event.get("user"):
        return None
    return Reaction(
        platform=PLATFORM,
        user=str(event["user"]),
        channel=str(item.get("channel", "")),
        emoji=str(event.get("reaction", "")),
        message_ref=str(item.get("ts", "")),
        event_id=f"slack:{event_id}" if event_id else None,
    )
