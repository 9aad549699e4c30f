"""The terminal chat: `warroom shell`.

Interactive on a TTY (readline history; the prompt shows user and channel). Scriptable when stdin
is not a TTY: one message per line, every action of the bot printed as one line prefixed by where
it happened: `[#war-room] warroom: ...`, `[#war-room] topic: ...`, `[dm @alice] warroom: ...`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sys
from pathlib import Path
from typing import TextIO

from warroom.app.runtime import Runtime
from warroom.ports import ChatMessage, Reaction
from warroom.render.doc import Doc, render_plain

PLATFORM = "shell"
DIRECTIVES = (
    "/user NAME, /channel NAME, /dm, /react EMOJI, /sleep SECONDS, /presence NAME away|active"
)
HISTORY = Path.home() / ".warroom_history"


class ShellChat:
    """The Chat port on a text stream."""

    platform = PLATFORM

    def __init__(self, *, bot_name: str, out: TextIO) -> None:
        self.bot_name = bot_name
        self.out = out
        self._refs = itertools.count(1)
        self.last_ref: dict[str, str] = {}
        self.statuses: dict[str, str] = {}  # `/presence NAME away`; everyone else is active

    async def presence(self, *, user: str) -> str:
        """The Presence port: who is online in the terminal (`/presence NAME away|active`)."""
        return self.statuses.get(user, "active")

    def _print(self, where: str, who: str, doc: Doc) -> str:
        ref = f"b{next(self._refs)}"
        for text in render_plain(doc).split("\n"):
            self.out.write(f"{where} {who}: {text}\n")
        self.out.flush()
        self.last_ref[where] = ref
        return ref

    async def post(
        self, *, channel: str, doc: Doc, thread: str | None = None, only_to: str | None = None
    ) -> str | None:
        who = self.bot_name
        if thread:
            who += " (thread)"
        if only_to:
            who += f" (to @{only_to})"
        return self._print(f"[#{channel}]", who, doc)

    async def direct(self, *, user: str, doc: Doc) -> str | None:
        return self._print(f"[dm @{user}]", self.bot_name, doc)

    async def set_topic(self, *, channel: str, topic: Doc | None) -> None:
        if topic is None:
            self.out.write(f"[#{channel}] topic cleared\n")
        else:
            self.out.write(f"[#{channel}] topic: {render_plain(topic)}\n")
        self.out.flush()

    async def create_channel(self, *, name: str) -> str:
        name = name.lstrip("#")
        self.out.write(f"[#{name}] channel created\n")
        self.out.flush()
        return name

    async def invite(self, *, channel: str, users: list[str]) -> None:
        self.out.write(f"[#{channel}] invited {', '.join('@' + u for u in users)}\n")
        self.out.flush()


class ShellSession:
    """Who is typing, and where; turns lines into messages and directives."""

    def __init__(self, runtime: Runtime, chat: ShellChat, *, user: str, channel: str) -> None:
        self.runtime = runtime
        self.chat = chat
        self.user = user.lstrip("@")
        self.channel = channel.lstrip("#")
        self.dm = False
        self._refs = itertools.count(1)

    @property
    def where(self) -> str:
        return f"[dm @{self.user}]" if self.dm else f"[#{self.channel}]"

    def prompt(self) -> str:
        return f"{self.user}@{'dm' if self.dm else '#' + self.channel}> "

    async def line(self, text: str) -> None:
        text = text.rstrip("\n")
        if not text.strip():
            return
        if text.startswith("/"):
            directive, _, arg = text.strip().partition(" ")
            await self._run_directive(directive, arg.strip())
            return
        msg = ChatMessage(
            platform=PLATFORM,
            user=self.user,
            channel=f"@{self.user}" if self.dm else self.channel,
            text=text,
            is_dm=self.dm,
            ref=f"u{next(self._refs)}",
        )
        await self.runtime.on_message(msg)

    async def _run_directive(self, directive: str, arg: str) -> None:
        if directive == "/user" and arg:
            self.user = arg.lstrip("@")
        elif directive == "/channel" and arg:
            self.channel, self.dm = arg.lstrip("#"), False
        elif directive == "/dm":
            self.dm = True
        elif directive == "/react" and arg:
            ref = self.chat.last_ref.get(self.where)
            if ref is None:
                self._note("nothing of the bot's to react to here yet")
                return
            reaction = Reaction(PLATFORM, self.user, self.channel, arg.strip(":"), ref)
            await self.runtime.on_reaction(reaction)
        elif directive == "/presence":
            name, _, status = arg.partition(" ")
            status = status.strip().lower()
            if not name or status not in ("away", "active"):
                self._note("usage: /presence NAME away|active")
                return
            user = name.lstrip("@")
            self.chat.statuses[user] = status
            self.runtime.presence.forget(user)
        elif directive == "/sleep":
            try:
                seconds = float(arg)
            except ValueError:
                seconds = -1.0
            if not 0 <= seconds <= 86400:
                self._note("usage: /sleep SECONDS")
                return
            await asyncio.sleep(seconds)
        else:
            self._note(f"usage: {DIRECTIVES}")

    def _note(self, text: str) -> None:
        self.chat.out.write(f"[shell] {text}\n")
        self.chat.out.flush()


async def run_script(session: ShellSession, stream: TextIO) -> None:
    """One message per line until end of input, then wait until the bot is idle."""
    while True:
        text = await asyncio.to_thread(stream.readline)
        if not text:
            break
        await session.line(text)
        # A script reads like a chat with a quick human: what the bot does in the background
        # for a line (status checks, the rotation's pick) shows before the next line runs.
        await session.runtime.wait_idle()
    await session.runtime.wait_idle()


async def run_interactive(session: ShellSession) -> None:
    import readline

    with contextlib.suppress(OSError):
        readline.read_history_file(HISTORY)
    try:
        while True:
            try:
                text = await asyncio.to_thread(input, session.prompt())
            except EOFError:
                break
            await session.line(text)
    finally:
        with contextlib.suppress(OSError):
            readline.write_history_file(HISTORY)
    await session.runtime.wait_idle()


async def serve(session: ShellSession, stream: TextIO = sys.stdin) -> None:
    await session.runtime.start()
    if stream.isatty():
        await run_interactive(session)
    else:
        await run_script(session, stream)
