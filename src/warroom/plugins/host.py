"""The plugins warroom runs: the handshake at start (`describe`), their commands in the one
command registry, each run under its plugin's limits (timeout, output cap, concurrency)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from warroom.config import ConfigError
from warroom.config.plugins import PluginConfig, PluginSettings
from warroom.plugins import process
from warroom.plugins.contract import (
    CONTRACT,
    Description,
    Error,
    InvalidPlugin,
    Message,
    Note,
    parse_description,
    parse_output,
)

log = logging.getLogger(__name__)
Output = Message | Note | Error


class PluginError(ConfigError):
    """A plugin that cannot be used: missing, or a description that breaks the contract."""


@dataclass(frozen=True)
class Outcome:
    """What one run gave: its output lines, or why it failed (one clear sentence)."""

    outputs: tuple[Output, ...] = ()
    failure: str | None = None
    seconds: float = 0.0


@dataclass
class Plugin:
    name: str
    config: PluginConfig
    argv: list[str]
    env: dict[str, str]
    description: Description | None = None
    running: int = 0
    _slots: asyncio.Semaphore | None = field(default=None, repr=False)

    @property
    def slots(self) -> asyncio.Semaphore:
        if self._slots is None:  # made on the loop that runs it
            self._slots = asyncio.Semaphore(self.config.concurrency)
        return self._slots

    async def describe(self) -> Description:
        ran = await process.run(
            [*self.argv, "describe"], stdin=b"", env=self.env, timeout=self.config.timeout,
            cap=self.config.output_cap, name=self.name,
        )  # fmt: skip
        if ran.failure is not None:
            raise InvalidPlugin(f"`describe` {ran.failure}")
        if ran.code != 0:
            raise InvalidPlugin(f"`describe` exited with status {ran.code}")
        description = parse_description(ran.stdout)
        if description.name != self.name:
            raise InvalidPlugin(
                f"it calls itself {description.name!r}; the configuration names it {self.name!r}"
            )
        return description

    async def call(self, document: Mapping[str, Any], *, wait: bool) -> Outcome:
        """Run once with `document` on stdin. A command (`wait` False) finding every slot
        taken is refused at once; an event waits for a slot."""
        if not wait and self.slots.locked():
            return Outcome(failure=f"is busy ({self.config.concurrency} runs at once); try again")
        async with self.slots:
            self.running += 1
            try:
                ran = await process.run(
                    list(self.argv), stdin=json.dumps(document).encode(), env=self.env,
                    timeout=self.config.timeout, cap=self.config.output_cap, name=self.name,
                )  # fmt: skip
            finally:
                self.running -= 1
        if ran.failure is not None:
            return Outcome(failure=ran.failure, seconds=ran.seconds)
        if ran.code != 0:
            return Outcome(failure=f"failed (exit status {ran.code})", seconds=ran.seconds)
        try:
            outputs = tuple(parse_output(ran.stdout))
        except InvalidPlugin as exc:
            return Outcome(failure=f"gave invalid output ({exc})", seconds=ran.seconds)
        return Outcome(outputs, None, ran.seconds)


def prepare(
    name: str, config: PluginConfig, settings: PluginSettings, environ: Mapping[str, str]
) -> Plugin:
    """The plugin's command line and environment: only what its configuration lists."""
    env = dict(config.env)
    missing = [s for s in config.secrets if not environ.get(s)]
    if missing:
        raise PluginError(f"plugin {name}: the secret {missing[0]} is not in the environment")
    env.update({s: environ[s] for s in config.secrets})
    if config.command is not None:
        argv = list(config.command)
    else:
        assert config.image is not None
        flags = [arg for var in sorted(env) for arg in ("-e", var)]
        argv = [*settings.container, *flags, config.image]
        # The container runtime finds its own engine through PATH and HOME.
        env = {**{k: environ[k] for k in ("HOME", "DOCKER_HOST") if k in environ}, **env}
    return Plugin(name, config, argv, env)


async def handshake(plugin: Plugin) -> Plugin:
    try:
        plugin.description = await plugin.describe()
    except InvalidPlugin as exc:
        raise PluginError(f"plugin {plugin.name}: {exc}") from None
    return plugin


async def load(settings: PluginSettings, environ: Mapping[str, str] | None = None) -> list[Plugin]:
    """Every configured plugin, described, concurrently. One that cannot be used stops the
    start with the reason, unless it is `optional` (then it is left out, with a warning)."""
    env = os.environ if environ is None else environ
    found: list[Plugin] = []
    errors: list[str] = []

    async def one(name: str, config: PluginConfig) -> None:
        try:
            found.append(await handshake(prepare(name, config, settings, env)))
        except PluginError as exc:
            if config.optional:
                log.warning("%s; left out (optional)", exc)
            else:
                errors.append(str(exc))

    await asyncio.gather(*(one(n, c) for n, c in settings.enabled.items()))
    if errors:
        raise PluginError("; ".join(sorted(errors)))
    order = list(settings.enabled)
    found.sort(key=lambda p: order.index(p.name))
    words: dict[str, str] = {}
    for plugin in found:
        assert plugin.description is not None
        for word in plugin.description.words():
            if word in words:
                raise PluginError(
                    f"plugin {plugin.name}: the command `{word}` is plugin {words[word]}'s"
                )
            words[word] = plugin.name
    return found


def dry_document(word: str) -> dict[str, Any]:
    """What `warroom plugins check` sends: a command with nothing to act on, `dry_run` set."""
    return {
        "contract": CONTRACT, "type": "command", "key": "dry-run", "dry_run": True,
        "command": word, "args": [], "text": "", "who": "warroom",
        "where": {"platform": "check", "channel": "check", "thread": None, "dm": False},
        "incident": None,
    }  # fmt: skip
