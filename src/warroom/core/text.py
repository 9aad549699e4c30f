"""Text as people typed it, made safe to store and echo: one pass at the door, so the core,
the database drivers and the renderers never see what would break them.

- NUL and the other C0/C1 control characters go, except newline and tab: PostgreSQL refuses
  NUL in text, terminals act on the others.
- Code points that UTF-8 cannot encode (a lone surrogate such as `\\ud800`, which Slack's JSON
  can carry) become U+FFFD: both database drivers raise on them.
- Bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069) go: they make a note
  or a channel name read differently from what it is ("Trojan Source").
- NFC, so the same word typed on two keyboards is the same text.
"""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean(text: str) -> str:
    """`text` without control, bidirectional and unencodable characters, in NFC."""
    text = _SURROGATE.sub("\ufffd", text)
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return unicodedata.normalize("NFC", text)
