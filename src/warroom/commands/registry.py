"""The one table of commands. Everything else is derived from it: the words `!word` may start
with (addressing), the dispatch of `grammar.parse`, the help texts and usage lines, and (in
app/handlers.py, keyed by the command types named here) the handlers.

Two kinds of rows:

- `Word`: a first word users type (`incident`, `inc`, `page`, `roster`...) and the parser that
  reads the rest of the text; `bang` says whether `!word` addresses the bot.
- `Entry`: one command as help shows it (`incident note <text>`), the command types it
  produces, where it is allowed and whether it only reads. An entry with a `parser` is also
  reachable as a subcommand of its first word's `Word` (`incident <ID> note ...`).

A command added at run time (a plugin) is `REGISTRY.register(entry, parser=...)`: an entry
whose first word is new gets its own `Word`; a word or path that a command already has is
refused with `Shadowing`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from warroom.commands import types as t

Where = Literal["channel", "dm", "both"]


class Cursor:
    """Reads words off the front of a text while keeping the rest as typed."""

    def __init__(self, text: str) -> None:
        self.rest = text.strip()

    def word(self) -> str:
        parts = self.rest.split(None, 1)
        if not parts:
            return ""
        self.rest = parts[1].strip() if len(parts) > 1 else ""
        return parts[0]

    def peek(self) -> str:
        parts = self.rest.split(None, 1)
        return parts[0] if parts else ""


@dataclass(frozen=True)
class Args:
    """What a parser knows besides the rest of the text: the first word as typed (lowered) and,
    for subcommands of `incident`, the incident ID typed before the subcommand."""

    word: str
    incident_id: int | None = None


Parser = Callable[[Cursor, Args], Any]  # returns a command (an instance of one of `types`)


@dataclass(frozen=True)
class Entry:
    path: tuple[str, ...]
    usage: str
    summary: str
    types: tuple[type[Any], ...] = ()
    where: Where = "both"
    read_only: bool = False
    parser: Parser | None = None


@dataclass(frozen=True)
class Word:
    words: tuple[str, ...]
    parser: Parser
    bang: tuple[str, ...] = ()


class Shadowing(ValueError):
    """A registration that would take over a word or command that already exists."""


@dataclass
class Registry:
    _entries: list[Entry] = field(default_factory=list)
    _words: dict[str, Word] = field(default_factory=dict)
    _bang: set[str] = field(default_factory=set)
    _types: dict[type[Any], Entry] = field(default_factory=dict)
    _subs: dict[tuple[str, str], Entry] = field(default_factory=dict)
    version: int = 0  # changes with every registration: caches of derived texts key on it

    def add_word(self, word: Word) -> None:
        taken = [w for w in word.words if w in self._words]
        if taken:
            raise Shadowing(f"the command `{taken[0]}` exists already")
        for w in word.words:
            self._words[w] = word
        self._bang.update(word.bang)

    def add(self, entry: Entry) -> None:
        if any(e.path == entry.path for e in self._entries):
            raise Shadowing(f"the command `{' '.join(entry.path)}` exists already")
        shared = [k for k in entry.types if k in self._types]
        if shared:
            raise Shadowing(f"{shared[0].__name__} belongs to another command")
        self._entries.append(entry)
        self.version += 1
        for kind in entry.types:
            self._types[kind] = entry
        if entry.parser is not None and len(entry.path) == 2:
            self._subs[entry.path] = entry

    def register(self, entry: Entry, *, bang: bool = True) -> None:
        """A command added at run time: its first word must be new, its parser given."""
        if entry.parser is None or len(entry.path) != 1:
            raise ValueError("a command registered at run time is one word with a parser")
        word = entry.path[0]
        if word in self._words:
            raise Shadowing(f"the command `{word}` exists already")
        self.add(entry)
        self.add_word(Word((word,), entry.parser, (word,) if bang else ()))

    def unregister(self, word: str) -> None:
        """Remove a command registered at run time (a plugin that went away)."""
        found = self._words.get(word)
        if found is None:
            raise KeyError(word)
        for w in found.words:
            del self._words[w]
            self._bang.discard(w)
        self.version += 1
        gone = [e for e in self._entries if e.path[0] in found.words]
        self._entries = [e for e in self._entries if e not in gone]
        for entry in gone:
            for kind in entry.types:
                self._types.pop(kind, None)
            self._subs.pop(entry.path[:2], None)  # type: ignore[arg-type]

    # Derived tables --------------------------------------------------------------------------

    def entries(self) -> tuple[Entry, ...]:
        return tuple(self._entries)

    def bang_words(self) -> frozenset[str]:
        return frozenset(self._bang)

    def word(self, word: str) -> Word | None:
        return self._words.get(word)

    def sub(self, group: str, word: str) -> Entry | None:
        return self._subs.get((group, word))

    def entry_of(self, command: object) -> Entry | None:
        return self._types.get(type(command))

    def command_types(self) -> frozenset[type[Any]]:
        return frozenset(self._types)

    def lookup(self, topic: Iterable[str]) -> list[Entry]:
        """Entries whose path starts with `topic` (`help incident` lists every incident
        command)."""
        words = tuple(word.lower() for word in topic)
        return [e for e in self._entries if e.path[: len(words)] == words]

    def usage_of(self, *path: str) -> str:
        for entry in self._entries:
            if entry.path == path:
                return entry.usage
        raise KeyError(path)

    def is_read_only(self, command: object) -> bool:
        entry = self.entry_of(command)
        return entry is not None and entry.read_only


REGISTRY = Registry()


def usage_of(*path: str) -> str:
    return REGISTRY.usage_of(*path)


def lookup(topic: Iterable[str]) -> list[Entry]:
    return REGISTRY.lookup(topic)


__all__ = ["REGISTRY", "Args", "Cursor", "Entry", "Registry", "Shadowing", "Word", "t"]
