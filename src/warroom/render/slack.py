"""A Doc as Slack mrkdwn and Block Kit.

Users' text is escaped (`&`, `<`, `>`) so that a summary or note containing `<!channel>`,
`<!here>` or `<@U123>` stays text; `@here` typed as plain text is inert because we never set
`link_names`. Mentions and channel links are made only from `Mention` and `ChannelRef`.
"""

from __future__ import annotations

import re
from typing import Any

from warroom.render.doc import ChannelRef, Doc, Line, Mention

_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]+$")
SECTION_MAX = 3000  # Slack's limit on a section's text
BLOCKS_MAX = 50
TOPIC_MAX = 250


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(user: str) -> str:
    """`<@U123>` for a Slack user ID; anything else (a name nobody resolved) as inert text."""
    return f"<@{user}>" if _USER_ID.match(user) else escape(f"@{user}")


def channel_link(channel: str) -> str:
    return f"<#{channel}>" if _CHANNEL_ID.match(channel) else escape(f"#{channel}")


def line_mrkdwn(segments: Line) -> str:
    out: list[str] = []
    for seg in segments:
        if isinstance(seg, Mention):
            out.append(mention(seg.user))
        elif isinstance(seg, ChannelRef):
            out.append(channel_link(seg.channel))
        elif not seg.text:
            continue
        elif seg.style == "code":
            out.append(f"`{escape(seg.text)}`")
        elif seg.style == "bold":
            out.append(f"*{escape(seg.text)}*")
        elif seg.style == "italic":
            out.append(f"_{escape(seg.text)}_")
        else:
            out.append(escape(seg.text))
    return "".join(out)


def mrkdwn(doc: Doc) -> str:
    return "\n".join(line_mrkdwn(line) for line in doc.lines)


def blocks(doc: Doc) -> list[dict[str, Any]] | None:
    """Section blocks of at most 3,000 characters; None when the Doc is too long for blocks
    (the text alone is posted then)."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for rendered in (line_mrkdwn(line) for line in doc.lines):
        if len(rendered) > SECTION_MAX:
            return None
        if current and size + len(rendered) + 1 > SECTION_MAX:
            chunks.append("\n".join(current))
            current, size = [], 0
        current.append(rendered)
        size += len(rendered) + 1
    if current:
        chunks.append("\n".join(current))
    if not chunks or len(chunks) > BLOCKS_MAX or not any(c.strip() for c in chunks):
        return None
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": chunk or " "}} for chunk in chunks
    ]


def topic(doc: Doc) -> str:
    """A channel topic: one line, escaped, at most 250 characters."""
    text = " ".join(line_mrkdwn(line) for line in doc.lines)
    return text if len(text) <= TOPIC_MAX else text[: TOPIC_MAX - 1] + "…"
