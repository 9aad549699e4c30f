"""Spy's notices in other channels, `cmd #channel` from a DM, and forgetting old event IDs."""

from __future__ import annotations

from sqlalchemy import select

from warroom.app.notices import significant_words
from warroom.app.service import App
from warroom.ports import ChatMessage
from warroom.store.tables import ProcessedEventRow
from warroom.testing import Conversation, FixedClock

NOTICE = (
    "[#support] bot (thread): ⚠ Hey @{user}, an incident (502s on storefront) is active and has "
    "been bound to #war-room. You may contact the IMOC (@richard) for more details."
)


def test_people_talking_about_an_incident_elsewhere_are_told_once_and_told_when_it_ends(
    conv: Conversation,
) -> None:
    conv.say("spy incident start @richard 502s on storefront", user="daniella")
    assert [NOTICE.format(user="marsh")] == conv.say(
        "anyone else seeing 502s on the storefront?", user="marsh", channel="support"
    )
    marsh_thread = conv.chat.sent[-1].thread
    assert [] == conv.say("storefronts still failing", user="marsh", channel="support")  # once
    assert [] == conv.say("the site is down, is it broken?", user="tamara", channel="support")
    assert [] == conv.say("storefront looks fine now", user="felix", channel="war-room")
    assert [NOTICE.format(user="tamara")] == conv.say(
        "Storefront?", user="tamara", channel="support"
    )

    stop = conv.say("spy incident stop", user="richard")
    assert [
        "[#support] bot (thread): ✅ Hey @marsh, incident in #war-room is closed.",
        "[#support] bot (thread): ✅ Hey @tamara, incident in #war-room is closed.",
    ] == [line for line in stop if line.startswith("[#support]")]
    closed = [s for s in conv.chat.sent if s.text.startswith("✅ Hey @marsh")]
    assert [marsh_thread] == [s.thread for s in closed]
    assert [] == conv.say("storefront 502s again?", user="marsh", channel="support")


def test_configured_keywords_point_at_the_latest_incident(conv: Conversation) -> None:
    conv.app.settings.notices.keywords = ["payments"]
    conv.say("spy incident start me checkout is down", user="daniella")
    lines = conv.say("are payments ok?", user="marsh", channel="support")
    assert 1 == len(lines)
    assert "an incident (checkout is down) is active" in lines[0]


def test_notices_can_be_turned_off(conv: Conversation) -> None:
    conv.app.settings.notices.enabled = False
    conv.say("spy incident start me checkout is down", user="daniella")
    assert [] == conv.say("checkout is failing for me", user="marsh", channel="support")


def test_significant_words_skip_small_and_generic_words_and_markup() -> None:
    assert {"checkout"} == significant_words("Checkout is DOWN again <@U123> <!here>")
    assert {"502", "storefront"} == significant_words("502s on storefronts")


def test_cmd_in_a_dm_runs_a_command_in_that_channel(conv: Conversation) -> None:
    conv.say("spy incident start me checkout is down", user="daniella")
    assert ["[#war-room] bot: 📝 Noted on INC-1."] == conv.say(
        "cmd #war-room incident note rolled back from my DM", user="daniella", dm=True
    )
    assert [
        "[dm @daniella] bot: To whom? Name a person.",
        "[dm @daniella] bot: Usage: `incident handoff @user`",
    ] == conv.say("spy cmd #war-room incident handoff", user="daniella", dm=True)
    nowhere = conv.say("cmd #elsewhere incident tldr", user="daniella", dm=True)
    assert nowhere[0].startswith("[dm @daniella] bot: No incident is bound to this channel.")
    assert [
        "[dm @daniella] bot: Which command should I run in #war-room?",
        "[dm @daniella] bot: Usage: `cmd #channel <command>`",
    ] == conv.say("cmd #war-room", user="daniella", dm=True)
    assert [
        "[#war-room] bot (to @daniella): `cmd #channel <command>` works in a DM with me.",
        "[#war-room] bot (to @daniella): Usage: `cmd #channel <command>`",
    ] == conv.say("spy cmd #war-room incident tldr", user="daniella")
    tldr = conv.say("spy incident tldr", user="daniella")
    assert any("Note: rolled back from my DM" in line for line in tldr)


def test_processed_events_are_forgotten_after_a_day(app: App, clock: FixedClock) -> None:
    app.PRUNE_EVERY = 1
    # `pager stfu` writes (a snooze): it claims its event; read-only commands claim nothing.
    first = ChatMessage("shell", "alice", "war-room", "warroom pager stfu", event_id="e1")
    assert 1 == len(app.handle_message(first))
    assert [] == app.handle_message(first)  # re-sent: once
    clock.advance(days=1, seconds=1)
    second = ChatMessage("shell", "alice", "war-room", "warroom pager stfu", event_id="e2")
    assert 1 == len(app.handle_message(second))
    with app.sessions() as session:
        assert ["e2"] == list(session.scalars(select(ProcessedEventRow.key)))
