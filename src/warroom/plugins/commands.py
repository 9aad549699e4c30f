"""A plugin's commands in the one command registry: a command type of their own each (so the
registry and the handler table key on it), a parser that keeps the rest of the text, and the
handler that promises the run (a `RunPlugin` effect, in the command's transaction)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from warroom.app import handlers
from warroom.app.context import Ctx
from warroom.app.effects import RunPlugin
from warroom.commands.registry import (
    REGISTRY,
    Args,
    Cursor,
    Entry,
    Registry,
    Shadowing,
    Where,
    Word,
)
from warroom.plugins.documents import command_doc, incident_doc, new_key
from warroom.store import incidents as repo


@dataclass(frozen=True)
class PluginCommand:
    """`<word> <text>` for plugin `PLUGIN`; one subclass per command (see `command_type`)."""

    PLUGIN: ClassVar[str] = ""
    word: str
    text: str


def command_type(plugin: str, word: str) -> type[PluginCommand]:
    name = "Plugin_" + "".join(
        p.capitalize() for p in f"{plugin}_{word}".replace("-", "_").split("_")
    )
    return type(name, (PluginCommand,), {"PLUGIN": plugin, "__module__": __name__})


def _parser(kind: type[PluginCommand]) -> Callable[[Cursor, Args], Any]:
    def parse(cursor: Cursor, args: Args) -> PluginCommand:
        return kind(word=args.word, text=cursor.rest)

    return parse


def run(cmd: PluginCommand, ctx: Ctx) -> None:
    """Promise the run: the plugin is I/O, so it runs in the background after the commit."""
    msg = ctx.message
    incident = None if msg.is_dm else repo.active_in(msg.platform, msg.channel, session=ctx.session)
    key = new_key(cmd.PLUGIN)
    document = command_doc(
        key=key, word=cmd.word, text=cmd.text, who=msg.user, platform=msg.platform,
        channel=msg.channel, thread=msg.thread, dm=msg.is_dm,
        incident=incident_doc(incident, ctx.settings.plugins.incident_link),
    )  # fmt: skip
    ctx.emit(
        RunPlugin(
            cmd.PLUGIN, key, json.dumps(document, ensure_ascii=False), channel=msg.channel,
            thread=msg.thread, user=msg.user, is_dm=msg.is_dm,
            incident_id=incident.id if incident else None, ref=msg.ref,
        )
    )  # fmt: skip


@dataclass(frozen=True)
class Registered:
    words: tuple[str, ...]
    types: tuple[type[PluginCommand], ...]


def check_free(words: list[str], plugin: str, registry: Registry = REGISTRY) -> None:
    for word in words:
        if registry.word(word) is not None or registry.lookup([word]):
            raise Shadowing(f"plugin {plugin}: the command `{word}` exists already")


def register(
    plugin: str,
    commands: list[tuple[list[str], str, str, Where]],
    registry: Registry = REGISTRY,
) -> Registered:
    """(words, usage, help, where) of each command of `plugin`; a word that exists already is
    refused (`Shadowing`) before anything is registered."""
    check_free([w for words, *_ in commands for w in words], plugin, registry)
    kinds: list[type[PluginCommand]] = []
    done: list[str] = []
    for words, usage, summary, where in commands:
        kind = command_type(plugin, words[0])
        parser = _parser(kind)
        entry = Entry((words[0],), usage, summary, (kind,), where, False, parser)
        registry.add(entry)
        registry.add_word(Word(tuple(words), parser, tuple(words)))
        handlers.register(kind, run)
        kinds.append(kind)
        done.extend(words)
    return Registered(tuple(done), tuple(kinds))


def unregister(registered: Registered, registry: Registry = REGISTRY) -> None:
    seen: set[str] = set()
    for word in registered.words:
        found = registry.word(word)
        if found is None or found.words[0] in seen:
            continue
        seen.add(found.words[0])
        registry.unregister(found.words[0])
    for kind in registered.types:
        handlers.HANDLERS.pop(kind, None)
