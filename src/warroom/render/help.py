"""Help and usage replies."""

from __future__ import annotations

from warroom.commands.help import ID_NOTE, Entry, entries
from warroom.core.doc import Doc, Line, code, line


def _entry(entry: Entry) -> Line:
    return line(code(entry.usage), f" — {entry.summary}")


def help_doc(shown: list[Entry] | None, *, bot_name: str) -> Doc:
    every = entries()
    if shown is None or len(shown) == len(every):
        head = line(
            f"Address me as `{bot_name} <command>`, `!<command>`, by mention, or in a DM.",
        )
        return Doc((head, *(_entry(e) for e in every), line(ID_NOTE)))
    return Doc(tuple(_entry(e) for e in shown))


def usage_doc(message: str, usage: str | None) -> Doc:
    if usage is None:
        return Doc.of(message)
    if usage == "help":
        return Doc.of(line(message, " Try ", code("help"), "."))
    return Doc.of(message, line("Usage: ", code(usage)))
