"""The OAuth scopes each Web API method needs, as Slack's method pages list them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from warroom.testing.fake_slack.workspace import SlackError

# The bot-token scopes of each Web API method the bot calls: any one of a tuple will do (the
# first is what `missing_scope` names as `needed`). Methods whose scope depends on the kind of
# conversation are keyed by kind.
SCOPES: dict[str, tuple[str, ...]] = {
    "chat.postMessage": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "users.list": ("users:read",),
    "users.info": ("users:read",),
    "users.getPresence": ("users:read",),
    "users.lookupByEmail": ("users:read.email",),
}
SCOPES_BY_KIND: dict[str, dict[str, tuple[str, ...]]] = {
    "conversations.setTopic": {
        "public": ("channels:manage", "channels:write.topic"),
        "private": ("groups:write", "groups:write.topic"),
        "im": ("im:write", "im:write.topic"),
    },
    "conversations.invite": {
        "public": ("channels:manage", "channels:write.invites"),
        "private": ("groups:write", "groups:write.invites"),
    },
    "conversations.create": {"public": ("channels:manage",), "private": ("groups:write",)},
    "conversations.info": {
        "public": ("channels:read",),
        "private": ("groups:read",),
        "im": ("im:read",),
    },
}
# conversations.list needs the scope of every type of conversation it is asked to list.
LIST_TYPES = {
    "public_channel": ("channels:read",),
    "private_channel": ("groups:read",),
    "im": ("im:read",),
    "mpim": ("mpim:read",),
}
# Event subscriptions and the scope each needs (Slack's events reference).
EVENT_SCOPES = {
    "app_mention": "app_mentions:read",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
    "message.mpim": "mpim:history",
    "reaction_added": "reactions:read",
}
# Posting to a public channel the bot is not in (chat.postMessage's page).
POST_WITHOUT_JOINING = "chat:write.public"


def is_true(value: Any) -> bool:
    return str(value).lower() in ("true", "1")


def needed(
    method: str, args: dict[str, Any], kind_of: Callable[[str], str]
) -> list[tuple[str, ...]]:
    """The scopes `method` needs with these arguments: one of each tuple. `kind_of` tells
    whether a conversation is `public`, `private` or `im`."""
    if method == "conversations.list":
        types = str(args.get("types") or "public_channel").split(",")
        return [LIST_TYPES[t] for t in types if t in LIST_TYPES]
    if method in SCOPES:
        return [SCOPES[method]]
    by_kind = SCOPES_BY_KIND.get(method)
    if by_kind is None:
        return []  # auth.test; apps.connections.open takes the app-level token
    if method == "conversations.create":
        kind = "private" if is_true(args.get("is_private", "")) else "public"
    else:
        kind = kind_of(str(args.get("channel", "")))
    return [by_kind[kind]] if kind in by_kind else []


def check(granted: frozenset[str], wanted: list[tuple[str, ...]]) -> set[str]:
    """The granted scopes that satisfy `wanted`; Slack's `missing_scope` when one is lacking."""
    used: set[str] = set()
    for alternatives in wanted:
        found = granted.intersection(alternatives)
        if not found:
            raise SlackError(
                "missing_scope", needed=alternatives[0], provided=",".join(sorted(granted))
            )
        used.update(found)
    return used
