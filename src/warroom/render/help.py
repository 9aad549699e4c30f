"""Help and usage replies."""

from __future__ import annotations

from warroom.commands.help import ID_NOTE, Entry, entries
from warroom.commands.registry import REGISTRY
from warroom.core.doc import Doc, Line, code, line


def _entry(entry: Entry) -> Line:
    # A plugin's command (plugins/commands.py names its plugin on the command type) is marked.
    plugin = next((p for k in entry.types if (p := getattr(k, "PLUGIN", ""))), "")
    if plugin:
        return line("🧩 ", code(entry.usage), f" — {entry.summary} (plugin {plugin})")
    return line(code(entry.usage), f" — {entry.summary}")


_FULL: dict[tuple[str, int], Doc] = {}  # the whole list per bot name and registry version


def help_doc(shown: list[Entry] | None, *, bot_name: str) -> Doc:
    every = entries()
    if shown is None or len(shown) == len(every):
        key = (bot_name, REGISTRY.version)
        doc = _FULL.get(key)
        if doc is None:  # a Doc is immutable: built once, answered many times
            head = line(
                f"Address me as `{bot_name} <command>`, `!<command>`, by mention, or in a DM.",
            )
            doc = _FULL[key] = Doc((head, *(_entry(e) for e in every), line(ID_NOTE)))
        return doc
    return Doc(tuple(_entry(e) for e in shown))


def usage_doc(message: str, usage: str | None) -> Doc:
    if usage is None:
        return Doc.of(message)
    if usage == "help":
        return Doc.of(line(message, " Try ", code("help"), "."))
    return Doc.of(message, line("Usage: ", code(usage)))
