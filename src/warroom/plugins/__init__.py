"""Out-of-process command plugins in any language (docs/plugins.md: contract 1).

`await Plugins.start(settings)` describes every configured plugin (refusing the start with the
reason if one cannot be used) and registers their commands; `plugins.attach(app, runtime)`
lets the runtime run them and feeds them the events they want; `close()` undoes both.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Any

from warroom.app import effects as fx
from warroom.app.runtime import Runtime
from warroom.app.service import App
from warroom.commands.registry import Shadowing
from warroom.config import Settings
from warroom.plugins import commands, outcome
from warroom.plugins.contract import CONTRACT, EVENTS, InvalidPlugin
from warroom.plugins.events import EventTap
from warroom.plugins.host import Outcome, Plugin, PluginError, dry_document, load

log = logging.getLogger(__name__)

__all__ = ["CONTRACT", "EVENTS", "InvalidPlugin", "Outcome", "Plugin", "PluginError", "Plugins"]


class Plugins:
    def __init__(self, loaded: list[Plugin]) -> None:
        self.loaded = loaded
        self.by_name = {p.name: p for p in loaded}
        self._registered: list[commands.Registered] = []
        self._tap: EventTap | None = None
        self._app: App | None = None
        # Runs in hand, by key: the outbox sweep takes over a row undelivered for 30 s, and a
        # long run must not start twice here (another replica may: at least once).
        self._running: set[str] = set()

    @classmethod
    async def start(cls, settings: Settings, environ: Mapping[str, str] | None = None) -> Plugins:
        plugins = cls(await load(settings.plugins, environ))
        plugins.register()
        return plugins

    def register(self) -> None:
        """Every plugin's commands into the registry; a built-in word is refused, and then
        nothing of any plugin stays registered."""
        try:
            for plugin in self.loaded:
                assert plugin.description is not None
                specs = [(c.words, c.usage, c.help, c.where) for c in plugin.description.commands]
                self._registered.append(commands.register(plugin.name, specs))
        except Shadowing as exc:
            self.unregister()
            raise PluginError(str(exc)) from None

    def unregister(self) -> None:
        for registered in self._registered:
            commands.unregister(registered)
        self._registered = []

    def subscribers(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for plugin in self.loaded:
            assert plugin.description is not None
            for name in plugin.description.events:
                found.setdefault(name, []).append(plugin.name)
        return found

    def attach(
        self, app: App, runtime: Runtime, loop: asyncio.AbstractEventLoop | None = None
    ) -> None:
        """Let `runtime` run plugins, and feed subscribers the events `app`'s commits write
        (handed to the runtime on `loop`, by default the running one)."""
        self._app = app
        runtime.plugin_runner = self.run
        subscribers = self.subscribers()
        if not subscribers:
            return
        loop = loop or asyncio.get_running_loop()
        tasks: set[asyncio.Task[object]] = set()

        def committed(deliveries: list[fx.Delivery]) -> None:
            def hand_over() -> None:
                task = loop.create_task(runtime.deliver(deliveries))
                tasks.add(task)
                task.add_done_callback(tasks.discard)

            if not loop.is_closed():
                loop.call_soon_threadsafe(hand_over)

        def platform() -> str:  # for an alert with no incident: the first chat, when it comes
            return next(iter(runtime.chats), "shell")

        self._tap = EventTap(app.uow, subscribers, committed, platform)
        self._tap.install()

    def close(self) -> None:
        if self._tap is not None:
            self._tap.remove()
            self._tap = None
        self.unregister()

    async def run(self, delivery: fx.Delivery, run: fx.RunPlugin) -> list[fx.Delivery]:
        """Run one promised call and record its outcome (`outcome.record`)."""
        app = self._app
        assert app is not None, "attach first"
        if run.key in self._running:
            log.info("plugin %s: %s is running already", run.plugin, run.key)
            return []
        self._running.add(run.key)
        try:
            document: dict[str, Any] = json.loads(run.document)
            word = str(document.get("command") or "")
            plugin = self.by_name.get(run.plugin)
            if plugin is None:
                result = Outcome(failure="is not loaded")
            else:
                result = await plugin.call(document, wait=run.user is None)
            log.info("plugin %s ran in %.3fs: %s", run.plugin, result.seconds,
                     result.failure or "ok")  # fmt: skip
            return await asyncio.to_thread(outcome.record, app.uow, delivery, run, result, word)
        finally:
            self._running.discard(run.key)

    async def check(self) -> list[tuple[str, str | None]]:
        """A dry call of every command: (plugin command, None) or (it, what is wrong)."""
        found: list[tuple[str, str | None]] = []
        for plugin in self.loaded:
            assert plugin.description is not None
            for spec in plugin.description.commands:
                result = await plugin.call(dry_document(spec.words[0]), wait=True)
                found.append((f"{plugin.name} {spec.words[0]}", result.failure))
        return found
