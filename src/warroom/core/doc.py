"""A reply as data: lines of segments. Adapters render it; user text stays inert `Text`.

Keeping mentions and channel links as their own segments is what lets every adapter escape the
text users typed (a note containing `<!channel>` or `@here`) while still mentioning on purpose.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Style = Literal["plain", "bold", "code", "italic"]


@dataclass(frozen=True)
class Text:
    text: str
    style: Style = "plain"


@dataclass(frozen=True)
class Mention:
    user: str


@dataclass(frozen=True)
class ChannelRef:
    channel: str


Segment = Text | Mention | ChannelRef
Line = tuple[Segment, ...]


@dataclass(frozen=True)
class Doc:
    lines: tuple[Line, ...]

    @staticmethod
    def of(*lines: Line | str) -> Doc:
        return Doc(tuple((Text(line),) if isinstance(line, str) else line for line in lines))

    def __add__(self, other: Doc) -> Doc:
        return Doc(self.lines + other.lines)

    def to_json(self) -> str:
        return json.dumps(
            [[_seg_to_list(s) for s in line] for line in self.lines], ensure_ascii=False
        )

    @staticmethod
    def from_json(raw: str) -> Doc:
        return Doc(tuple(tuple(_seg_from_list(s) for s in line) for line in json.loads(raw)))


def line(*parts: Segment | str) -> Line:
    """A line from strings (plain text) and segments."""
    return tuple(Text(p) if isinstance(p, str) else p for p in parts)


def bold(text: str) -> Text:
    return Text(text, "bold")


def code(text: str) -> Text:
    return Text(text, "code")


_STYLES: dict[str, Style] = {"plain": "plain", "bold": "bold", "code": "code", "italic": "italic"}


def _seg_to_list(seg: Segment) -> list[str]:
    if isinstance(seg, Mention):
        return ["@", seg.user]
    if isinstance(seg, ChannelRef):
        return ["#", seg.channel]
    return [seg.style, seg.text]


def _seg_from_list(raw: list[str]) -> Segment:
    kind, value = raw
    if kind == "@":
        return Mention(value)
    if kind == "#":
        return ChannelRef(value)
    style = _STYLES.get(kind)
    if style is not None:
        return Text(value, style)
    raise ValueError(f"unknown segment kind {kind!r}")


def render_plain(
    doc: Doc,
    *,
    mention: Callable[[str], str] = lambda u: f"@{u}",
    channel: Callable[[str], str] = lambda c: f"#{c}",
) -> str:
    """Plain text, for the terminal and for text fallbacks. Styles become Markdown-ish marks."""
    return "\n".join(render_line(line_, mention=mention, channel=channel) for line_ in doc.lines)


def render_line(
    segments: Line,
    *,
    mention: Callable[[str], str] = lambda u: f"@{u}",
    channel: Callable[[str], str] = lambda c: f"#{c}",
) -> str:
    out: list[str] = []
    for seg in segments:
        if isinstance(seg, Mention):
            out.append(mention(seg.user))
        elif isinstance(seg, ChannelRef):
            out.append(channel(seg.channel))
        elif seg.style == "code":
            out.append(f"`{seg.text}`")
        elif seg.style == "bold":
            out.append(f"*{seg.text}*")
        elif seg.style == "italic":
            out.append(f"_{seg.text}_")
        else:
            out.append(seg.text)
    return "".join(out)
