"""Help texts: the registry's entries (commands/builtin.py holds the built-in ones), used by
`help` and by usage errors."""

from __future__ import annotations

from warroom.commands.registry import REGISTRY, Entry, lookup, usage_of

ID_NOTE = (
    "In an incident's channel, commands apply to its incident. Elsewhere give the ID first: "
    "`incident 12 tldr`, `incident INC-12 note ...`."
)


def entries() -> tuple[Entry, ...]:
    return REGISTRY.entries()


__all__ = ["ID_NOTE", "Entry", "entries", "lookup", "usage_of"]
