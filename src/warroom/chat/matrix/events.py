"""Matrix events as the app's `ChatMessage` and `Reaction`: translation, no I/O."""

from __future__ import annotations

from typing import Any

from warroom.chat.matrix.client import PLATFORM, MatrixChat
from warroom.ports import ChatMessage, Reaction
from warroom.render import matrix as render


def to_message(
    event: dict[str, Any], *, room_id: str, chat: MatrixChat, is_dm: bool
) -> ChatMessage | None:
    """An `m.room.message` event as a ChatMessage; None for the bot's own messages, edits,
    notices (other bots) and anything that is not text."""
    if event.get("type") != "m.room.message" or event.get("sender") == chat.settings.user_id:
        return None
    content = event.get("content") or {}
    if content.get("msgtype") not in ("m.text", "m.emote") or not event.get("event_id"):
        return None
    relates = content.get("m.relates_to") or {}
    if relates.get("rel_type") == "m.replace":  # an edit: the command was acted on already
        return None
    text = render.incoming_text(content, handle=chat.handle)
    mentioned = False
    bot = chat.settings.user_id
    mentions = (content.get("m.mentions") or {}).get("user_ids") or []
    for prefix in (f"@{chat.handle(bot)}", bot):
        stripped = text.lstrip()
        if stripped.startswith(prefix) and (bot in mentions or stripped.startswith(bot)):
            text, mentioned = stripped[len(prefix) :].lstrip(" :,"), True
            break
    thread = relates.get("event_id") if relates.get("rel_type") == "m.thread" else None
    return ChatMessage(
        platform=PLATFORM,
        user=chat.handle(str(event["sender"])),
        channel=room_id,
        text=text,
        is_dm=is_dm,
        mentioned=mentioned,
        ref=str(event["event_id"]),
        thread=thread,
        event_id=f"matrix:{event['event_id']}",
    )


def to_reaction(event: dict[str, Any], *, room_id: str, chat: MatrixChat) -> Reaction | None:
    """An `m.reaction` annotation as a Reaction, its key as the emoji's name (👀 -> `eyes`)."""
    if event.get("type") != "m.reaction" or event.get("sender") == chat.settings.user_id:
        return None
    relates = (event.get("content") or {}).get("m.relates_to") or {}
    if relates.get("rel_type") != "m.annotation" or not relates.get("event_id"):
        return None
    key = str(relates.get("key") or "")
    return Reaction(
        platform=PLATFORM,
        user=chat.handle(str(event["sender"])),
        channel=room_id,
        emoji=EMOJI_NAMES.get(key.replace("\ufe0f", ""), key.strip(":")),
        message_ref=str(relates["event_id"]),
        event_id=f"matrix:{event.get('event_id')}",
    )


# Matrix reactions are the characters themselves; the configuration names them as Slack does.
EMOJI_NAMES = {
    "👀": "eyes",
    "👍": "+1",
    "👎": "-1",
    "✅": "white_check_mark",
    "🆗": "ok",
    "🙋": "raising_hand",
    "🔥": "fire",
}
