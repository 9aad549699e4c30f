"""The Web API methods the fake answers: one function each, in `METHODS`.

Each refuses what Slack's method page says it refuses (the errors named there), so that the
bot meets here the refusals it would meet in a workspace."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from warroom.testing.fake_slack.scopes import POST_WITHOUT_JOINING, is_true
from warroom.testing.fake_slack.workspace import (
    BOT_ID,
    BOT_USER,
    TEAM,
    Channel,
    SlackError,
    Workspace,
)

Handler = Callable[[Workspace, dict[str, Any]], dict[str, Any]]

TEXT_MAX = 40_000  # chat.postMessage: longer is `msg_too_long`
BLOCKS_MAX = 50
TOPIC_MAX = 250  # conversations.setTopic: longer is `too_long`
NAME_MAX = 80
_CHANNEL_NAME = re.compile(r"^[a-z0-9_\-]+$")


def _arg(args: dict[str, Any], key: str) -> str:
    return str(args.get(key) or "")


def _usable(channel: Channel) -> Channel:
    if channel.archived:
        raise SlackError("is_archived")
    return channel


def _joined(channel: Channel) -> Channel:
    """Methods that act as a member (setTopic, invite) need the bot in the conversation."""
    if BOT_USER not in channel.members:
        raise SlackError("not_in_channel")
    return channel


def _page(ws: Workspace, items: list[dict[str, Any]], args: dict[str, Any], default: int) -> Any:
    """One page of a listing: `limit` items (at most `page_size`) after `cursor`."""
    cursor = _arg(args, "cursor")
    if cursor and not (cursor.startswith("next:") and cursor[5:].isdigit()):
        raise SlackError("invalid_cursor")
    start = int(cursor[5:]) if cursor else 0
    limit = int(_arg(args, "limit") or default) or len(items)
    if ws.page_size:
        limit = min(limit, ws.page_size)
    end = start + limit
    return items[start:end], {"next_cursor": f"next:{end}" if end < len(items) else ""}


def auth_test(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "ok": True,
        "url": "https://example.slack.com/",
        "team": "Example",
        "user": "warroom",
        "team_id": TEAM,
        "user_id": BOT_USER,
        "bot_id": BOT_ID,
        "is_enterprise_install": False,
    }


def connections_open(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    ws.connections_opened += 1
    return {"ok": True, "url": f"ws://127.0.0.1:{ws.port}/link/?ticket=t{ws.port}"}


def _message_args(args: dict[str, Any]) -> None:
    text = _arg(args, "text")
    blocks = args.get("blocks") or []
    if not text and not blocks:
        raise SlackError("no_text")
    if len(text) > TEXT_MAX:
        raise SlackError("msg_too_long")
    if len(blocks) > BLOCKS_MAX:
        raise SlackError("invalid_blocks")


def post_message(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """To a conversation by ID, a channel by name, or a user ID (the app's DM with them)."""
    channel = _usable(ws.conversation(_arg(args, "channel"), by_name=True, dm=True))
    _message_args(args)
    if BOT_USER not in channel.members and not ws.granted(POST_WITHOUT_JOINING):
        raise SlackError("not_in_channel")
    ts = ws.next_ts()
    message = {"type": "message", "text": _arg(args, "text"), "user": BOT_USER, "ts": ts}
    if args.get("thread_ts"):
        message["thread_ts"] = args["thread_ts"]
    return {"ok": True, "channel": channel.id, "ts": ts, "message": message}


def post_ephemeral(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = _usable(ws.conversation(_arg(args, "channel"), by_name=True))
    _message_args(args)
    user = _arg(args, "user")
    ws.user(user)
    if user not in channel.members:
        raise SlackError("user_not_in_channel")
    return {"ok": True, "message_ts": ws.next_ts()}


def set_topic(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = _joined(_usable(ws.conversation(_arg(args, "channel"))))
    topic = _arg(args, "topic")
    if len(topic) > TOPIC_MAX:
        raise SlackError("too_long")
    channel.topic = topic
    return {"ok": True, "channel": ws.info(channel)}


def create(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    name = _arg(args, "name")
    if not name:
        raise SlackError("invalid_name_required")
    if len(name) > NAME_MAX:
        raise SlackError("invalid_name_maxlength")
    if not _CHANNEL_NAME.match(name):
        raise SlackError("invalid_name_specials")
    if any(c.name == name for c in ws.channels.values()):
        raise SlackError("name_taken")
    private = is_true(args.get("is_private", ""))
    prefix = "G" if private else "C"
    created = ws.channel(f"{prefix}{ws.new_id():08d}X", name, is_private=private)
    return {"ok": True, "channel": ws.info(created)}


def invite(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """Known user IDs only (names are `user_not_found`), into a channel the bot is in."""
    channel = _joined(_usable(ws.conversation(_arg(args, "channel"))))
    if channel.im_user is not None:
        raise SlackError("method_not_supported_for_channel_type")
    users = [u for u in _arg(args, "users").split(",") if u]
    if not users:
        raise SlackError("no_user")
    if BOT_USER in users:
        raise SlackError("cant_invite_self")
    for user in users:
        ws.user(user)
    if all(u in channel.members for u in users):
        raise SlackError("already_in_channel")
    channel.members.update(users)
    return {"ok": True, "channel": ws.info(channel)}


def list_conversations(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """Public channels, and private ones and IMs the bot is in, of the `types` asked for."""
    types = set(_arg(args, "types").split(",")) if args.get("types") else {"public_channel"}
    kinds = {"public_channel": "public", "private_channel": "private", "im": "im"}
    wanted = {kinds[t] for t in types if t in kinds}
    listed = [
        ws.info(c)
        for c in ws.channels.values()
        if c.kind in wanted
        and ws.visible(c)
        and not (c.archived and is_true(args.get("exclude_archived", "")))
    ]
    page, meta = _page(ws, listed, args, default=100)
    return {"ok": True, "channels": page, "response_metadata": meta}


def conversation_info(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "channel": ws.info(ws.conversation(_arg(args, "channel")))}


def list_users(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    members = [{"id": i, "name": n, "deleted": False} for i, n in ws.users.items()]
    page, meta = _page(ws, members, args, default=0)
    return {"ok": True, "members": page, "response_metadata": meta}


def get_presence(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    user = _arg(args, "user")
    ws.user(user)
    return {"ok": True, "presence": ws.presences.get(user, "active")}


def lookup_by_email(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """Slack answers `users_not_found` for an address no member of the workspace has."""
    email = _arg(args, "email").lower()
    user = next((u for e, u in ws.emails.items() if e.lower() == email), None)
    if user is None or user not in ws.users:
        raise SlackError("users_not_found")
    return {"ok": True, "user": {"id": user, "name": ws.users[user]}}


def user_info(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    user = _arg(args, "user")
    return {"ok": True, "user": {"id": user, "name": ws.user(user)}}


METHODS: dict[str, Handler] = {
    "auth.test": auth_test,
    "apps.connections.open": connections_open,
    "chat.postMessage": post_message,
    "chat.postEphemeral": post_ephemeral,
    "conversations.setTopic": set_topic,
    "conversations.create": create,
    "conversations.invite": invite,
    "conversations.list": list_conversations,
    "conversations.info": conversation_info,
    "users.list": list_users,
    "users.getPresence": get_presence,
    "users.lookupByEmail": lookup_by_email,
    "users.info": user_info,
}
