"""A Doc as Slack mrkdwn and Block Kit.

Users' text is escaped (`&`, `<`, `>`) so that a summary or note containing `<!channel>`,
`<!here>` or `<@U123>` stays text; `@here` typed as plain text is inert because we never set
`link_names`. Mentions and channel links are made only from `Mention` and `ChannelRef`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from warroom.core.doc import ChannelRef, Doc, Line, Mention, Text

_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]+$")
SECTION_MAX = 3000  # Slack's limit on a section's text
BLOCKS_MAX = 50
TOPIC_MAX = 250


_TYPED_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_TYPED_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
# A user ID the app wrote as plain `@U04HORMOZ` (a report's timeline, a stored IMOC): shown as
# `@hormoz` when the name is known. Plain text either way: it pings nobody.
_BARE_USER = re.compile(r"(?<![\w<|@])@([UW][A-Z0-9]{2,})\b")
NO_NAMES: Mapping[str, str] = {}


def is_user_id(user: str) -> bool:
    return bool(_USER_ID.match(user))


def is_channel_id(channel: str) -> bool:
    return bool(_CHANNEL_ID.match(channel))


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inert(text: str, names: Mapping[str, str] = NO_NAMES) -> str:
    """Users' text, made inert: the mentions and channel links Slack put in it when they typed
    `@hormoz` or `#support` become plain `@hormoz` / `#support`, then everything is escaped."""
    text = _TYPED_USER.sub(lambda m: "@" + (m[2] or names.get(m[1]) or m[1]), text)
    text = _TYPED_CHANNEL.sub(lambda m: "#" + (m[2] or names.get(m[1]) or m[1]), text)
    if names:
        text = _BARE_USER.sub(lambda m: "@" + names.get(m[1], m[1]), text)
    return escape(text)


def typed_ids(doc: Doc) -> set[str]:
    """User and channel IDs inside text, to look their names up before rendering."""
    found: set[str] = set()
    for line in doc.lines:
        for seg in line:
            if isinstance(seg, Text) and "<" in seg.text:
                found.update(m[1] for m in _TYPED_USER.finditer(seg.text) if not m[2])
                found.update(m[1] for m in _TYPED_CHANNEL.finditer(seg.text) if not m[2])
            if isinstance(seg, Text) and "@" in seg.text:
                found.update(m[1] for m in _BARE_USER.finditer(seg.text))
    return found


def mention(user: str, ids: Mapping[str, str] = NO_NAMES) -> str:
    """`<@U123>` for a Slack user ID (or a name `ids` knows); else inert text."""
    user = ids.get("@" + user, user)
    return f"<@{user}>" if _USER_ID.match(user) else escape(f"@{user}")


def channel_link(channel: str, ids: Mapping[str, str] = NO_NAMES) -> str:
    """`<#C123>` for a channel ID (or a name `ids` knows, like a team's `support`)."""
    channel = ids.get("#" + channel, channel)
    return f"<#{channel}>" if _CHANNEL_ID.match(channel) else escape(f"#{channel}")


def line_mrkdwn(segments: Line, names: Mapping[str, str] = NO_NAMES) -> str:
    """`names` maps IDs to names (for users' text) and `@name` / `#name` to IDs."""
    out: list[str] = []
    for seg in segments:
        if isinstance(seg, Mention):
            out.append(mention(seg.user, names))
        elif isinstance(seg, ChannelRef):
            out.append(channel_link(seg.channel, names))
        elif not seg.text:
            continue
        elif seg.style == "code":
            out.append(f"`{inert(seg.text, names)}`")
        elif seg.style == "bold":
            out.append(f"*{inert(seg.text, names)}*")
        elif seg.style == "italic":
            out.append(f"_{inert(seg.text, names)}_")
        else:
            out.append(inert(seg.text, names))
    return "".join(out)


def mrkdwn(doc: Doc, names: Mapping[str, str] = NO_NAMES) -> str:
    return "\n".join(line_mrkdwn(line, names) for line in doc.lines)


_FIELD = re.compile(r"^([A-Z][A-Za-z ()]{1,40}): (.+)$")
FIELDS_MAX = 10  # per section
FIELD_MAX = 2000


def blocks(doc: Doc, names: Mapping[str, str] = NO_NAMES) -> list[dict[str, Any]] | None:
    """Section blocks of at most 3,000 characters; a run of two or more `Label: value` lines
    (the tldr's roles and milestones) becomes a section of two-column fields. None when the
    Doc is too long for blocks (the text alone is posted then)."""
    out: list[dict[str, Any]] = []
    text: list[str] = []
    fields: list[str] = []

    def flush_text() -> None:
        if text:
            out.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(text)}})
            text.clear()

    def flush_fields() -> None:
        if len(fields) == 1:  # one label alone reads better as a line
            label, _, value = fields[0].partition("*\n")
            text.append(f"{label.lstrip('*')}: {value}")
        else:
            flush_text()
            for start in range(0, len(fields), FIELDS_MAX):
                chunk = fields[start : start + FIELDS_MAX]
                out.append(
                    {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in chunk]}
                )
        fields.clear()

    for rendered in (line_mrkdwn(line, names) for line in doc.lines):
        if len(rendered) > SECTION_MAX:
            return None
        field = _FIELD.match(rendered)
        if field and len(rendered) < FIELD_MAX:
            fields.append(f"*{field[1]}*\n{field[2]}")
            continue
        if fields:
            flush_fields()
        if text and sum(len(t) + 1 for t in text) + len(rendered) > SECTION_MAX:
            flush_text()
        text.append(rendered if rendered.strip() else " ")
    if fields:
        flush_fields()
    flush_text()
    if not out or len(out) > BLOCKS_MAX:
        return None
    return out


def topic(doc: Doc, names: Mapping[str, str] = NO_NAMES) -> str:
    """A channel topic: one line, escaped, at most 250 characters."""
    text = " ".join(line_mrkdwn(line, names) for line in doc.lines)
    return text if len(text) <= TOPIC_MAX else text[: TOPIC_MAX - 1] + "…"
