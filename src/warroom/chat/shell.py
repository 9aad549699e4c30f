"""The terminal chat: `warroom shell`.

Interactive on a TTY (prompt_toolkit: history, Tab completes command words, and the prompt with
what was typed stays whole when the bot speaks; the prompt shows user and channel). Scriptable
when stdin is not a TTY: one message per line, every action of the bot printed as one line
prefixed by where it happened: `[#war-room] warroom: ...`, `[#war-room] topic: ...`,
`[dm @alice] warroom: ...`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sys
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory
from prompt_toolkit.input import Input
from prompt_toolkit.output import Output
from prompt_toolkit.patch_stdout import patch_stdout

from warroom.app.runtime import Runtime
from warroom.commands.registry import REGISTRY
from warroom.core.doc import Doc, render_plain
from warroom.ports import ChatGone, ChatMessage, Reaction

PLATFORM = "shell"
DIRECTIVES = (
    "/user NAME, /channel NAME, /dm, /react EMOJI, /sleep SECONDS, /presence NAME away|active"
)
HISTORY = Path.home() / ".warroom_history"
# `/react 👀` as well as `/react eyes`: the emoji people type, by the names Slack gives them
# (reactions reach the app by name, as on Slack).
EMOJI_NAMES = {
    "👀": "eyes", "👍": "+1", "👎": "-1", "✅": "white_check_mark", "✔": "heavy_check_mark",
    "🔥": "fire", "🙏": "pray", "👌": "ok_hand", "🚨": "rotating_light", "❤": "heart",
    "🎉": "tada", "🙌": "raised_hands", "👋": "wave", "🆗": "ok", "⚠": "warning",
    "❌": "x", "🤔": "thinking_face", "💯": "100", "🚀": "rocket", "😱": "scream",
}  # fmt: skip


class ShellChat:
    """The Chat port on a text stream."""

    platform = PLATFORM

    def __init__(self, *, bot_name: str, out: TextIO) -> None:
        self.bot_name = bot_name
        self.out = out
        self._refs = itertools.count(1)
        self.last_ref: dict[str, str] = {}
        self.statuses: dict[str, str] = {}  # `/presence NAME away`; everyone else is active
        self.gone = False  # the reader closed the output (a broken pipe)

    async def presence(self, *, user: str) -> str:
        """The Presence port: who is online in the terminal (`/presence NAME away|active`)."""
        return self.statuses.get(user, "active")

    def write(self, text: str) -> None:
        """Write and flush; when the reader has gone (`warroom shell | head`), say so once
        (`gone`) and raise ChatGone: the runtime leaves the rest in the outbox, and the shell
        stops reading input."""
        try:
            if not self.gone:
                self.out.write(text)
                self.out.flush()
        except BrokenPipeError:
            self.gone = True
        if self.gone:
            raise ChatGone("nobody is reading the terminal")

    def _print(self, where: str, who: str, doc: Doc) -> str:
        ref = f"b{next(self._refs)}"
        self.write("".join(f"{where} {who}: {text}\n" for text in render_plain(doc).split("\n")))
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
            self.write(f"[#{channel}] topic cleared\n")
        else:
            self.write(f"[#{channel}] topic: {render_plain(topic)}\n")

    async def create_channel(self, *, name: str) -> str:
        name = name.lstrip("#")
        self.write(f"[#{name}] channel created\n")
        return name

    async def invite(self, *, channel: str, users: list[str]) -> None:
        self.write(f"[#{channel}] invited {', '.join('@' + u for u in users)}\n")


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
            emoji = EMOJI_NAMES.get(arg.strip().replace("\ufe0f", ""), arg.strip().strip(":"))
            reaction = Reaction(PLATFORM, self.user, self.channel, emoji, ref)
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
        with contextlib.suppress(ChatGone):
            self.chat.write(f"[shell] {text}\n")


async def run_script(session: ShellSession, stream: TextIO) -> None:
    """One message per line until end of input, then wait until the bot is idle."""
    while not session.chat.gone:
        text = await asyncio.to_thread(stream.readline)
        if not text:
            break
        await session.line(text)
        # A script reads like a chat with a quick human: what the bot does in the background
        # for a line (status checks, the rotation's pick) shows before the next line runs.
        await session.runtime.wait_idle()
    await session.runtime.wait_idle()


DIRECTIVE_WORDS = ("/user", "/channel", "/dm", "/react", "/sleep", "/presence")


def completions(before: str, *, names: Collection[str] = ()) -> list[str]:
    """The words that may come next at the end of `before` (the text left of the cursor):
    command words from the registry (`inc` -> `incident`, `incident no` -> `note`), the bot's
    names, `!` words and the shell's directives."""
    words = before.split()
    current = words.pop() if words and not before[-1:].isspace() else ""
    if words and words[0].lower().rstrip(":,").lstrip("@") in {n.lower() for n in names}:
        words = words[1:]
    entries = REGISTRY.entries()
    if not words:
        if current.startswith("/"):
            found: set[str] = set(DIRECTIVE_WORDS)
        elif current.startswith("!"):
            found = {"!" + w for w in REGISTRY.bang_words()}
        else:
            found = {e.path[0] for e in entries} | set(names)
    else:
        word = REGISTRY.word(words[0].lstrip("!").lower())
        if word is None:
            return []
        typed = [
            w.lower() for w in words[1:] if not w.isdigit() and not w.lower().startswith("inc-")
        ]
        path = (word.words[0], *typed)
        depth = len(path)
        found = {
            e.path[depth]
            for e in entries
            if len(e.path) > depth and e.path[:depth] == path and not e.path[depth].startswith("<")
        }
    low = current.lower()
    return sorted(w for w in found if w.lower().startswith(low) and w != current)


class CommandCompleter(Completer):
    """Tab completes command words from the registry (`completions`)."""

    def __init__(self, names: Collection[str]) -> None:
        self.names = tuple(names)

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        before = document.text_before_cursor
        current = "" if before[-1:].isspace() else (before.split() or [""])[-1]
        for word in completions(before, names=self.names):
            yield Completion(word, start_position=-len(current))


async def run_interactive(
    session: ShellSession,
    *,
    names: Collection[str] = (),
    pt_input: Input | None = None,
    pt_output: Output | None = None,
) -> None:
    """A prompt that stays whole when the bot speaks: what the bot says (a reminder, an
    escalation) is printed above it, and the prompt and what was typed so far are drawn again
    below (prompt_toolkit's patch_stdout). Tab completes command words; history in
    ~/.warroom_history."""
    prompt: PromptSession[str] = PromptSession(
        history=FileHistory(str(HISTORY)),
        completer=CommandCompleter(names),
        complete_while_typing=False,
        input=pt_input,
        output=pt_output,
    )
    out = session.chat.out
    with patch_stdout(raw=True):
        session.chat.out = sys.stdout  # the proxy: printed above the prompt
        try:
            while not session.chat.gone:
                try:
                    text = await prompt.prompt_async(session.prompt)
                except EOFError:
                    break
                except KeyboardInterrupt:
                    continue  # Ctrl-C clears the line, as in a shell; Ctrl-D leaves
                await session.line(text)
            await session.runtime.wait_idle()
        finally:
            session.chat.out = out


async def serve(
    session: ShellSession, stream: TextIO = sys.stdin, *, names: Collection[str] = ()
) -> None:
    await session.runtime.start()
    if stream.isatty():
        await run_interactive(session, names=names)
    else:
        await run_script(session, stream)
