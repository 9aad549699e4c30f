"""The terminal chat on a terminal (a pty): the prompt and what was typed stay whole when the
bot speaks, and Tab completes command words from the registry."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pexpect
import pytest

from helpers import warroom_command, warroom_env
from warroom.chat.shell import completions

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-B]|\r")
FORWARD = re.compile(r"\x1b\[(\d*)C")  # the cursor moved right: blanks on the screen
PROMPT = "zed@#dev-oncall>"


def plain(raw: str) -> str:
    return ANSI.sub("", FORWARD.sub(lambda m: " " * int(m[1] or 1), raw))


class Terminal:
    """What the shell wrote to its pty, read as text (escape sequences out)."""

    def __init__(self, child: pexpect.spawn[str]) -> None:
        self.child = child
        self.raw = ""
        self.mark = 0

    def wait_for(self, text: str, timeout: float = 20) -> str:
        """Read until `text` shows after the last match; what came in between."""
        deadline = time.monotonic() + timeout
        while True:
            seen = plain(self.raw[self.mark :])
            at = seen.find(text)
            if at >= 0:
                self.mark = len(self.raw)  # the next wait looks at what comes next
                return seen[:at]
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never showed; the screen: {plain(self.raw)!r}")
            try:
                self.raw += self.child.read_nonblocking(size=65536, timeout=0.2)
            except pexpect.TIMEOUT:
                continue


@pytest.mark.slow
def test_the_bot_speaking_leaves_the_prompt_and_typed_text_whole(tmp_path: Path) -> None:
    """An escalation (every 3 s) arrives while `spy incident no` is half typed: it is printed above, the
    prompt is drawn again with the half-typed text, and the finished line is the whole command."""
    cmd = warroom_command(
        "shell", "--db", f"sqlite:///{tmp_path / 'w.db'}", "--user", "zed", "--channel",
        "dev-oncall", "--no-web",
    )  # fmt: skip
    env = warroom_env(
        tmp_path,
        {
            "HOME": str(tmp_path),
            "TERM": "xterm",
            "PROMPT_TOOLKIT_NO_CPR": "1",
            "WARROOM_ROTATION__ESCALATE_AFTER": "3",
        },
    )
    child = pexpect.spawn(cmd[0], cmd[1:], env=env, encoding="utf-8", timeout=30,
                          dimensions=(40, 200))  # fmt: skip
    screen = Terminal(child)
    try:
        screen.wait_for(PROMPT)
        child.send("devonc\t")  # Tab: the one command word that fits
        screen.wait_for("devoncall")
        child.send(" https://gitlab.example/incidents/7\r")
        screen.wait_for("React with :eyes: to acknowledge.")
        screen.wait_for(PROMPT)
        child.send("spy incident no")
        screen.wait_for("spy incident no")
        screen.wait_for("no ACK from")  # an escalation, while the line is half typed
        # What the bot said went above; the prompt and the half-typed line are drawn again.
        screen.wait_for(f"{PROMPT} spy incident no")
        child.send("te hello world\r")
        screen.wait_for("No incident is bound to this channel")  # the whole command arrived
        child.sendeof()
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert "hello world" in plain(screen.raw)


@pytest.mark.parametrize(
    ("before", "expected"),
    [
        ("inc", ["incident", "incidents"]),
        ("incident no", ["note"]),
        ("spy incident t", ["tell", "tldr"]),
        ("incident 12 no", ["note"]),
        ("/re", ["/react"]),
        ("pager ", ["ack", "list", "res", "stfu", "unstfu"]),
        ("frobnicate x", []),
    ],
)
def test_tab_completes_command_words_from_the_registry(before: str, expected: list[str]) -> None:
    assert expected == completions(before, names=("spy", "warroom"))
