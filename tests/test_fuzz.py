"""Hostile bytes never crash a handler: fixed-seed fuzzed lines (tests/fuzz_lines.py) through a
conversation on SQLite and PostgreSQL, through `warroom shell` as raw bytes (invalid UTF-8,
lone surrogates, NUL), and through the Slack listener. No exception escapes, nothing answers
"something went wrong", and every line addressed to the bot is answered."""

from __future__ import annotations

import logging
import random
import time
from pathlib import Path

import pytest

from fuzz_lines import lines
from helpers import MakeConversation, warroom_command, warroom_env
from slack_helpers import CAMILO, WAR_ROOM, connected, run
from warroom.app.runtime import FAILED
from warroom.app.service import App
from warroom.commands.addressing import command_text
from warroom.config import Settings
from warroom.core.text import clean

pytestmark = pytest.mark.slow

NAMES = ["warroom", "spy"]


def addressed(text: str, *, dm: bool) -> bool:
    return command_text(clean(text), names=NAMES, is_dm=dm) is not None


def test_fuzzed_lines_in_a_conversation(
    make_conversation: MakeConversation, settings: Settings
) -> None:
    settings.bot.aliases = ["spy"]
    conv = make_conversation()
    rng = random.Random(5)
    unanswered, failed = [], []
    for text in lines(1000, seed=1):
        dm = rng.random() < 0.3
        said = conv.say(text, user=rng.choice(["alice", "bob"]), dm=dm)
        if any(FAILED in line for line in said):
            failed.append(text)
        if addressed(text, dm=dm) and not said:
            unanswered.append(text)
    assert [] == failed
    assert [] == unanswered


def test_fuzzed_bytes_through_the_shell(db_url: str, tmp_path: Path) -> None:
    import subprocess

    rng = random.Random(7)
    chunks = []
    for text in lines(700, seed=2):
        raw = text.encode("utf-8", "surrogatepass")  # lone surrogates: invalid UTF-8
        if rng.random() < 0.05:
            raw += rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\xf4\x90\x80\x80"])
        if rng.random() < 0.1:
            chunks.append(b"/dm\n" if rng.random() < 0.5 else b"/channel war-room\n")
        chunks.append(raw.replace(b"\n", b" ").replace(b"\r", b" ") + b"\n")
    started = time.monotonic()
    done = subprocess.run(
        warroom_command("shell", "--db", db_url, "--no-web"),
        input=b"".join(chunks), capture_output=True, env=warroom_env(tmp_path), timeout=120,
        check=False,
    )  # fmt: skip
    err = done.stderr.decode("utf-8", "replace")
    out = done.stdout.decode("utf-8", "replace")
    assert 0 == done.returncode, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    assert FAILED not in out
    assert time.monotonic() - started < 120


def test_fuzzed_lines_through_the_slack_listener(
    app: App, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.slack.posts_per_second = 1000.0
    settings.reminders = []
    settings.bot.aliases = ["spy"]
    unanswered: list[str] = []

    async def scenario() -> None:
        async with connected(app) as s:
            for text in lines(200, seed=3, long_every=100):
                calls = await s.say(CAMILO, text, channel=WAR_ROOM)
                if addressed(text, dm=False) and not calls:
                    unanswered.append(text)

    with caplog.at_level(logging.ERROR):
        run(scenario)
    errors = [r.getMessage()[:300] for r in caplog.records if r.levelno >= logging.ERROR]
    assert [] == errors
    assert [] == unanswered
