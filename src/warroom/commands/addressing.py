"""Is a message meant for the bot? Returns the command text, or None for chatter."""

from __future__ import annotations

from collections.abc import Collection

# Words that `!word` may start with; any other `!word` belongs to some other bot.
BANG_COMMANDS = frozenset(
    {
        "incident", "incidents", "inc", "help", "status", "ir", "oncall", "page", "pager",
        "devoncall", "roster",
        "shipit",
    }
)  # fmt: skip

# Words that address the bot on their own: PagerSlack's `/devoncall <url>` as plain text.
BARE_COMMANDS = frozenset({"devoncall", "/devoncall"})


def command_text(
    text: str,
    *,
    names: Collection[str],
    is_dm: bool = False,
    mentioned: bool = False,
) -> str | None:
    """The part of `text` that is a command, or None when the bot is not addressed.

    `names` are the bot's names (`warroom`, `spy`); `mentioned` is set by an adapter that found
    and removed a platform mention of the bot.
    """
    stripped = text.strip()
    if not stripped:
        return None
    if mentioned or is_dm:
        return _strip_name(stripped, names) if not mentioned else stripped
    if stripped.split(None, 1)[0].lower() in BARE_COMMANDS:
        return stripped.lstrip("/")
    if stripped.startswith("!"):
        word = stripped[1:].split(None, 1)[0].lower() if len(stripped) > 1 else ""
        return stripped[1:].strip() if word in BANG_COMMANDS else None
    first, _, rest = stripped.partition(" ")
    first = first.rstrip(":,").lower().lstrip("@")
    if first in {n.lower() for n in names}:
        return rest.strip()
    return None


def _strip_name(text: str, names: Collection[str]) -> str:
    """In a DM `spy incident tldr` and `incident tldr` mean the same; so does `!incident`."""
    if text.startswith("!"):
        return text[1:].strip()
    first, _, rest = text.partition(" ")
    if first.rstrip(":,").lower().lstrip("@") in {n.lower() for n in names}:
        return rest.strip()
    return text
