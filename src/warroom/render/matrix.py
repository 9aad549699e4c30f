"""A Doc as a Matrix message: `body` (plain text) and `formatted_body` (HTML) from the same Doc.

Mentions are pills (`<a href="https://matrix.to/#/@alice:example.org">`) listed in
`m.mentions` (intentional mentions). Every message carries `m.mentions`, so clients and servers
ignore the old body-matching push rules: users' text that says `@room` or someone's name
notifies nobody. Users' text is HTML-escaped, so it never becomes a pill or markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from warroom.core.doc import ChannelRef, Doc, Line, Mention

MATRIX_TO = "https://matrix.to/#/"
TOPIC_MAX = 500
_USER_ID = re.compile(r"^@[^:\s]+:[^\s]+$")
# Room IDs have no server part from room version 12 on.
_ROOM = re.compile(r"^(?:![^\s]+|#[^:\s]+:[^\s]+)$")


def is_user_id(user: str) -> bool:
    return bool(_USER_ID.match(user))


def is_room(channel: str) -> bool:
    """A room ID (`!abc:server`) or alias (`#name:server`)."""
    return bool(_ROOM.match(channel))


@dataclass
class Rendered:
    body: str
    html: str
    mentions: list[str] = field(default_factory=list)

    def content(self, msgtype: str = "m.text") -> dict[str, Any]:
        return {
            "msgtype": msgtype,
            "body": self.body,
            "format": "org.matrix.custom.html",
            "formatted_body": self.html,
            "m.mentions": {"user_ids": self.mentions} if self.mentions else {},
        }


# A user as the app names them -> their Matrix ID, or None when it is not one.
UserIds = Callable[[str], str | None]
# A channel -> (what to link to, what to show), or None when unknown.
RoomLinks = Callable[[str], tuple[str, str] | None]


def _no_user(user: str) -> str | None:
    return user if is_user_id(user) else None


def _no_room(channel: str) -> tuple[str, str] | None:
    return (channel, channel) if is_room(channel) else None


_MARKS = {"code": ("`", "`", "<code>", "</code>"), "bold": ("*", "*", "<strong>", "</strong>")}
_MARKS["italic"] = ("_", "_", "<em>", "</em>")


def short(user_id: str) -> str:
    """`@alice:example.org` -> `@alice`, as people say it."""
    return user_id.split(":", 1)[0] if is_user_id(user_id) else "@" + user_id.lstrip("@")


def render_line(
    segments: Line, users: UserIds, rooms: RoomLinks, mentions: list[str]
) -> tuple[str, str]:
    body: list[str] = []
    out: list[str] = []
    for seg in segments:
        if isinstance(seg, Mention):
            user_id = users(seg.user)
            if user_id is None:  # not a Matrix user: inert text
                text = "@" + seg.user.lstrip("@")
                body.append(text)
                out.append(html.escape(text))
                continue
            name = short(user_id)
            body.append(name)
            href = html.escape(MATRIX_TO + user_id, quote=True)
            out.append(f'<a href="{href}">{html.escape(name)}</a>')
            if user_id not in mentions:
                mentions.append(user_id)
        elif isinstance(seg, ChannelRef):
            found = rooms(seg.channel)
            if found is None:
                text = "#" + seg.channel.lstrip("#")
                body.append(text)
                out.append(html.escape(text))
                continue
            target, shown = found
            body.append(shown)
            href = html.escape(MATRIX_TO + target, quote=True)
            out.append(f'<a href="{href}">{html.escape(shown)}</a>')
        elif not seg.text:
            continue
        elif seg.style in _MARKS:
            plain_open, plain_close, tag_open, tag_close = _MARKS[seg.style]
            body.append(f"{plain_open}{seg.text}{plain_close}")
            out.append(f"{tag_open}{html.escape(seg.text, quote=False)}{tag_close}")
        else:
            body.append(seg.text)
            out.append(html.escape(seg.text, quote=False))
    return "".join(body), "".join(out)


def message(doc: Doc, users: UserIds = _no_user, rooms: RoomLinks = _no_room) -> Rendered:
    """The body and the HTML of `doc`, and the users it mentions on purpose."""
    mentions: list[str] = []
    lines = [render_line(line, users, rooms, mentions) for line in doc.lines]
    return Rendered(
        body="\n".join(b for b, _ in lines),
        html="<br>".join(h for _, h in lines),
        mentions=mentions,
    )


def topic(doc: Doc, users: UserIds = _no_user, rooms: RoomLinks = _no_room) -> str:
    """A room topic: one line of plain text."""
    text = " ".join(render_line(line, users, rooms, [])[0] for line in doc.lines)
    return text if len(text) <= TOPIC_MAX else text[: TOPIC_MAX - 1] + "…"


# -- incoming ------------------------------------------------------------------------------------

_PILL = re.compile(
    r'<a\s+href=["\']https://matrix\.to/#/((?:@|%40)[^"\'?/]+)[^"\']*["\']\s*>.*?</a>', re.I | re.S
)
_BREAK = re.compile(r"<br\s*/?>|</p>|</li>|</div>", re.I)
_TAG = re.compile(r"<[^>]+>")


def incoming_text(content: dict[str, Any], *, handle: Callable[[str], str]) -> str:
    """What a person wrote, as the commands read it: pills become `@handle`, HTML becomes text.
    Without HTML, the plain body as typed."""
    formatted = content.get("formatted_body")
    if content.get("format") != "org.matrix.custom.html" or not isinstance(formatted, str):
        return str(content.get("body") or "")
    from urllib.parse import unquote

    text = _PILL.sub(lambda m: "@" + handle(unquote(m[1])).lstrip("@"), formatted)
    text = _BREAK.sub("\n", text)
    text = _TAG.sub("", text)
    return html.unescape(text).strip()
