"""Matrix rendering and event translation, without a homeserver."""

from __future__ import annotations

import pytest

from warroom.chat.matrix import MatrixChat, MatrixSettings, make_client, to_message, to_reaction
from warroom.config import ConfigError
from warroom.core.doc import ChannelRef, Doc, Mention, Text, bold, code, line
from warroom.render import matrix as render

BOT = "@warroom:example.org"


@pytest.fixture
def chat() -> MatrixChat:
    settings = MatrixSettings(homeserver="http://127.0.0.1:1", user_id=BOT, access_token="t")
    return MatrixChat(make_client(settings), settings)


def test_body_and_html_come_from_one_doc_with_pills_in_m_mentions(chat: MatrixChat) -> None:
    doc = Doc((line("🎧 ", Mention("bob"), " is the SRM; see ", ChannelRef("support"), "."),))
    doc += Doc((line(bold("Status"), ": ", code("502"), " ", Text("slow", "italic")),))
    out = render.message(doc, chat.user_id, chat.room_link)
    assert "🎧 @bob is the SRM; see #support.\n*Status*: `502` _slow_" == out.body
    assert (
        '🎧 <a href="https://matrix.to/#/@bob:example.org">@bob</a> is the SRM; see '
        '<a href="https://matrix.to/#/#support:example.org">#support</a>.<br>'
        "<strong>Status</strong>: <code>502</code> <em>slow</em>"
    ) == out.html
    assert {"user_ids": ["@bob:example.org"]} == out.content()["m.mentions"]


def test_users_text_never_becomes_a_pill_markup_or_a_room_mention(chat: MatrixChat) -> None:
    typed = '@room <a href="https://matrix.to/#/@ceo:example.org">ceo</a> & <b>x</b>'
    out = render.message(Doc.of(typed), chat.user_id, chat.room_link)
    assert typed == out.body
    assert "<a " not in out.html
    assert "<b>" not in out.html
    assert "@room &lt;a href=" in out.html
    content = out.content()
    assert {} == content["m.mentions"]  # present and empty: body-matching push rules are off


def test_people_on_our_server_are_known_by_their_localpart(chat: MatrixChat) -> None:
    assert "@alice:example.org" == chat.user_id("alice") == chat.user_id("@alice")
    assert "@bob:other.org" == chat.user_id("@bob:other.org")
    assert "alice" == chat.handle("@alice:example.org")
    assert "@bob:other.org" == chat.handle("@bob:other.org")
    assert "#support:example.org" == chat.alias("support")
    assert "!abc" == chat.alias("!abc")


def test_a_message_with_a_pill_reads_as_a_command_with_at_handles(chat: MatrixChat) -> None:
    pill = '<a href="https://matrix.to/#/@warroom:example.org">warroom</a>'
    bob = '<a href="https://matrix.to/#/%40bob%3Aexample.org">Bob B.</a>'
    event = {
        "type": "m.room.message",
        "sender": "@alice:example.org",
        "event_id": "$e1",
        "content": {
            "msgtype": "m.text",
            "body": "warroom: incident srm Bob B.",
            "format": "org.matrix.custom.html",
            "formatted_body": f"{pill}: incident srm {bob} &amp; co",
            "m.mentions": {"user_ids": [BOT, "@bob:example.org"]},
            "m.relates_to": {"rel_type": "m.thread", "event_id": "$root"},
        },
    }
    msg = to_message(event, room_id="!r", chat=chat, is_dm=False)
    assert msg is not None
    assert ("alice", "!r", "incident srm @bob & co") == (msg.user, msg.channel, msg.text)
    assert (True, "$e1", "$root", "matrix:$e1") == (
        msg.mentioned,
        msg.ref,
        msg.thread,
        msg.event_id,
    )


def test_the_bots_own_messages_edits_and_notices_are_not_commands(chat: MatrixChat) -> None:
    base = {"type": "m.room.message", "event_id": "$e", "sender": "@alice:example.org"}
    text = {"msgtype": "m.text", "body": "incident stop"}
    assert (
        to_message({**base, "sender": BOT, "content": text}, room_id="!r", chat=chat, is_dm=False)
        is None
    )
    edit = {**text, "m.relates_to": {"rel_type": "m.replace", "event_id": "$x"}}
    assert to_message({**base, "content": edit}, room_id="!r", chat=chat, is_dm=False) is None
    notice = {**text, "msgtype": "m.notice"}
    assert to_message({**base, "content": notice}, room_id="!r", chat=chat, is_dm=False) is None


def test_an_eyes_annotation_is_the_eyes_reaction(chat: MatrixChat) -> None:
    event = {
        "type": "m.reaction",
        "sender": "@bob:example.org",
        "event_id": "$r",
        "content": {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$ping", "key": "👀"}},
    }
    reaction = to_reaction(event, room_id="!r", chat=chat)
    assert reaction is not None
    assert ("bob", "eyes", "$ping", "matrix:$r") == (
        reaction.user, reaction.emoji, reaction.message_ref, reaction.event_id
    )  # fmt: skip


def test_settings_come_from_the_environment() -> None:
    assert MatrixSettings.from_env({}) is None
    env = {
        "MATRIX_HOMESERVER": "https://matrix.example.org/",
        "MATRIX_USER_ID": "@warroom:example.org",
        "MATRIX_ACCESS_TOKEN": "syt_x",
        "MATRIX_INVITES_FROM": "example.org, partner.org",
    }
    settings = MatrixSettings.from_env(env)
    assert settings is not None
    assert "https://matrix.example.org" == settings.homeserver
    assert ["example.org", "partner.org"] == settings.invites_from
    with pytest.raises(ConfigError, match="not a Matrix ID"):
        MatrixSettings.from_env({**env, "MATRIX_USER_ID": "warroom"})


def test_room_ids_without_a_server_part_are_rooms() -> None:
    assert render.is_room("!FlRHBecykkWCxRheVKfXRyaHlMQz8A9TFPkdHrtAD44")
    assert render.is_room("#support:example.org")
    assert not render.is_room("support")
