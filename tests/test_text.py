"""Hostile text is made safe once, at the door (`ChatMessage`), before any handler sees it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from warroom.core.text import clean
from warroom.ports import ChatMessage


def test_nul_and_controls_go_newline_and_tab_stay() -> None:
    assert "ab\ncd\te" == clean("a\x00b\r\nc\x1cd\te\x85")


def test_a_lone_surrogate_becomes_the_replacement_character() -> None:
    assert "note \ufffd here" == clean("note \ud800 here")


def test_bidirectional_overrides_are_stripped() -> None:
    assert "admin" == clean("\u202eadmin\u2066\u2069")


def test_nfc() -> None:
    assert "café" == clean("cafe\u0301")


def test_a_chat_message_carries_clean_text() -> None:
    msg = ChatMessage(platform="shell", user="alice", channel="war-room", text="warroom\x1c")
    assert "warroom" == msg.text


@given(st.text())
def test_clean_text_encodes_and_is_stable(text: str) -> None:
    """Whatever arrives, the result encodes as UTF-8 (both drivers accept it), holds no NUL,
    and cleaning twice changes nothing."""
    once = clean(text)
    once.encode("utf-8")
    assert "\x00" not in once
    assert once == clean(once)
