"""Hostile bytes never crash a handler: a message that is only the bot's name is answered, and
a handler that fails anyway gets one "something went wrong" answer and one log line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from helpers import MakeConversation, run_warroom
from warroom.app.runtime import FAILED

YES = "warroom: Yes? Try `help` for the commands."


def test_only_the_bots_name_in_a_dm_through_the_shell_is_answered(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    lines = ["/dm", "warroom", "warroom\x1c", "warroom \x85", "!", "spy", "warroom:", "help"]
    done = run_warroom("shell", "--db", db, "--no-web", tmp_path=tmp_path, stdin=lines)
    assert 0 == done.returncode, done.stderr
    assert "IndexError" not in done.stderr
    out = done.stdout.splitlines()
    assert 6 == sum(line == f"[dm @{_user()}] {YES}" for line in out), done.stdout
    assert any("incident start" in line for line in out)  # the line after them was answered


def _user() -> str:
    import getpass

    return getpass.getuser()


def test_only_the_bots_name_in_a_channel_is_answered(make_conversation: MakeConversation) -> None:
    conv = make_conversation()
    for text in ("warroom", "warroom:", "@warroom", "warroom \x1c"):
        assert ["[#war-room] bot (to @alice): Yes? Try `help` for the commands."] == (
            conv.say(text, user="alice")
        ), text
    assert [] == conv.say("!", user="alice")  # another bot's, maybe


def test_a_failing_handler_answers_once_and_logs_one_line(
    make_conversation: MakeConversation, caplog: pytest.LogCaptureFixture
) -> None:
    conv = make_conversation()

    def boom(msg: object) -> list[object]:
        raise RuntimeError("a bug")

    conv.app.handle_message = boom  # type: ignore[assignment,method-assign]
    with caplog.at_level(logging.ERROR):
        lines = conv.say("warroom incident start me checkout is down", user="alice")
        dm = conv.say("warroom help", user="alice", dm=True)
    assert [f"[#war-room] bot (to @alice): {FAILED}"] == lines
    assert [f"[dm @alice] bot: {FAILED}"] == dm
    failures = [r for r in caplog.records if "failed: RuntimeError: a bug" in r.getMessage()]
    assert 2 == len(failures)
    assert "u1" in failures[0].getMessage()  # the event (here the message's ref) is named
    assert conv.say("warroom help", user="bob", dm=True)  # the runtime goes on
