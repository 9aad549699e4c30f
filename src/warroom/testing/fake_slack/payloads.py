"""What Slack sends the app: event callbacks, slash commands, and the signature of a request."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from warroom.testing.fake_slack.workspace import BOT_USER, TEAM, Workspace


def message_event(
    ws: Workspace,
    user: str,
    channel: str,
    text: str,
    *,
    ts: str | None = None,
    thread_ts: str | None = None,
    subtype: str | None = None,
    bot_id: str | None = None,
) -> dict[str, Any]:
    """An Events API `event_callback` body with a `message` event. The conversation exists
    from then on, with `user` in it (a `D...` channel is the app's DM with `user`)."""
    ts = ts or ws.next_ts()
    is_dm = channel.startswith("D")
    event: dict[str, Any] = {
        "type": "message",
        "user": user,
        "text": text,
        "ts": ts,
        "channel": channel,
        "channel_type": "im" if is_dm else "channel",
        "event_ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    if subtype:
        event["subtype"] = subtype
    if bot_id:
        event["bot_id"] = bot_id
    if is_dm:
        ws.im(user, channel)
    else:
        ws.channel(channel).members.add(user)
    return callback(ws, event)


def callback(
    ws: Workspace, event: dict[str, Any], *, event_id: str | None = None
) -> dict[str, Any]:
    """The `event_callback` envelope of the Events API around `event`."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM,
        "api_app_id": "A0001",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{ws.new_id():08d}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "team_id": TEAM,
                "user_id": BOT_USER,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
    }


def slash_payload(
    ws: Workspace, command: str, text: str, *, user: str, channel: str
) -> dict[str, Any]:
    """A slash command as Slack posts it; `user` typed it in `channel`, so is in it."""
    conversation = ws.im(user, channel) if channel.startswith("D") else ws.channel(channel)
    conversation.members.add(user)
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM,
        "team_domain": "example",
        "channel_id": channel,
        "channel_name": conversation.name,
        "user_id": user,
        "user_name": ws.users.get(user, user.lower()),
        "command": command,
        "text": text,
        "api_app_id": "A0001",
        "response_url": f"http://127.0.0.1:{ws.port}/response",
        "trigger_id": f"trigger-{ws.new_id()}",
    }


def signed_headers(
    body: str, secret: str, *, timestamp: int | None = None, retry_num: int | None = None
) -> dict[str, str]:
    """The headers Slack sends with a request: the v0 signature of `body` at `timestamp`."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = f"v0:{ts}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    headers = {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/json",
    }
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = "http_timeout"
    return headers
