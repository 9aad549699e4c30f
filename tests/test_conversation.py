"""Incident commands as chat conversations, in-process, on SQLite and PostgreSQL."""

from __future__ import annotations

from helpers import MakeConversation
from warroom.app.service import App
from warroom.ports import ChatMessage
from warroom.testing import Conversation, FixedClock


def test_the_spy_conversation(conv: Conversation, clock: FixedClock, settings: object) -> None:
    """Start, tldr, note, milestones, handoff, tell, stop and report, as in the seed."""
    lines = conv.say("spy incident start me checkout is down", user="daniella")
    assert [
        "[#war-room] bot: 🔥 An incident was reported at 2017-02-23 22:42:36 UTC. "
        "@daniella is the IMOC. (INC-1)",
        "[#war-room] bot: Status summary: checkout is down",
        "[#war-room] bot: Incident was bound to #war-room. Please use #war-room for "
        "communications, or rebind the incident with `incident channel ...`.",
        "[#war-room] topic: 🔥 @daniella is IMOC for incident: checkout is down",
    ] == lines

    clock.advance(minutes=1)
    assert ["[#war-room] bot: 📝 Noted on INC-1."] == conv.say(
        "spy incident note rolled back deploy 1234", user="camilo"
    )
    assert ["[#war-room] bot: 📉 Failures started at 2017-02-23 22:33:36 UTC (INC-1)."] == conv.say(
        "spy incident failures started 10m ago", user="daniella"
    )
    clock.advance(minutes=20)
    assert [
        "[#war-room] bot: 📈 Failures mitigated at 2017-02-23 23:03:36 UTC (INC-1). "
        "Time to mitigate: 30m 00s."
    ] == conv.say("spy incident mitigated", user="daniella")
    assert [
        "[#war-room] bot: 🎧 @charlie is the SRM of INC-1.",
    ] == conv.say("spy incident srm @charlie", user="daniella")

    tldr = conv.say("spy incident tldr", user="felix")
    assert '[#war-room] bot: *INC-1 "checkout is down"*' == tldr[0]
    assert (
        "[#war-room] bot: 2017-02-23 22:43:36 UTC: @camilo: Note: rolled back deploy 1234" in tldr
    )
    assert "[#war-room] bot: Incident Commander (IMOC): @daniella" in tldr
    assert "[#war-room] bot: Support Response (SRM): @charlie" in tldr
    assert "[#war-room] bot: Failures Started: 2017-02-23 22:33:36 UTC" in tldr
    assert "[#war-room] bot: Failures Mitigated: 2017-02-23 23:03:36 UTC" in tldr
    assert "[#war-room] bot: People Involved: @daniella, @camilo, @charlie" in tldr

    assert [
        "[#war-room] bot: 🤝 @daniella handed off the IMOC role to @hormoz. INC-1: checkout is down",
        "[#war-room] topic: 🔥 @hormoz is IMOC for incident: checkout is down",
    ] == conv.say("spy incident handoff @hormoz", user="daniella")

    assert [
        "[#support] bot: 📣 @hormoz from INC-1 (checkout is down) in #war-room: "
        "please hold the refunds queue",
        "[#war-room] bot: 📣 Told support in #support.",
    ] == conv.say("spy incident tell support please hold the refunds queue", user="hormoz")

    clock.advance(minutes=30)
    stop = conv.say("spy incident stop", user="hormoz")
    assert (
        "[#war-room] bot: ✅ Incident stopped at 2017-02-23 23:33:36 UTC. Thanks for letting us know."
        == stop[0]
    )
    assert "[#war-room] topic cleared" == stop[-1]

    report_file = conv.app.settings.reports.resolved_dir() / "2017-02-23-inc-1-checkout-is-down.md"
    markdown = report_file.read_text()
    assert "# Service disruption: checkout is down" in markdown
    assert "- **Impact window:** 2017-02-23 22:33:36 UTC → 2017-02-23 23:03:36 UTC" in markdown
    assert "- **Time to mitigate:** 30m 00s" in markdown
    assert "- **Total duration:** 51m 00s" in markdown
    assert "Handed off the IMOC role to @hormoz" in markdown
    assert "- 2017-02-23 22:43:36 UTC @camilo: rolled back deploy 1234" in markdown
    assert "## Action items" in markdown

    shown = conv.say("spy incident report 1", user="daniella")
    assert "[#war-room] bot: # Service disruption: checkout is down" in shown


def test_bad_input_answers_the_sender_and_saves_nothing(conv: Conversation) -> None:
    assert [
        "[#war-room] bot (to @alice): No incident is bound to this channel. In an incident's "
        "channel, commands apply to its incident. Elsewhere give the ID first: `incident 12 "
        "tldr`, `incident INC-12 note ...`. Active: none."
    ] == conv.say("warroom incident stop", user="alice")
    conv.say("warroom incident start me db is slow", user="alice")
    second = conv.say("warroom incident start me api is down", user="bob")
    assert [
        "[#war-room] bot (to @bob): INC-1 (db is slow) is already bound to this channel. "
        "Stop it first, or start the new one in another channel."
    ] == second
    assert [
        "[#war-room] bot (to @bob): To whom? Name a person.",
        "[#war-room] bot (to @bob): Usage: `incident handoff @user`",
    ] == conv.say("warroom incident handoff", user="bob")
    assert conv.say("warroom incident tell marketing hi", user="bob") == [
        "[#war-room] bot (to @bob): I don't know the team `marketing`. Teams: datastores, support."
    ]
    assert conv.say("warroom incident mitigated 99:99", user="bob")[0].startswith(
        "[#war-room] bot (to @bob): `99:99` is not a time of day."
    )
    assert [] == conv.say("lol the build is broken", user="bob")  # chatter: no answer
    tldr = conv.say("warroom incident tldr", user="bob")
    assert "[#war-room] bot: Incident Commander (IMOC): @alice" in tldr
    assert not any("api is down" in line for line in tldr)


def test_several_incidents_one_per_channel_and_ids_elsewhere(conv: Conversation) -> None:
    conv.say("warroom incident start me checkout is down", user="alice", channel="war-room")
    conv.say("warroom incident start @bob search is slow", user="alice", channel="search-ops")
    assert ["[#search-ops] bot: 📝 Noted on INC-2."] == conv.say(
        "warroom incident note reindexing", user="bob", channel="search-ops"
    )
    assert ["[dm @carol] bot: 📝 Noted on INC-1."] == conv.say(
        "incident 1 note from a DM", user="carol", dm=True
    )
    listing = conv.say("warroom incidents", user="carol", channel="general")
    assert "[#general] bot: 2 active:" == listing[0]
    assert any(
        line.startswith("[#general] bot: INC-2 search is slow — #search-ops, IMOC @bob")
        for line in listing
    )
    stop = conv.say("warroom incident stop 2", user="bob", channel="general")
    assert (
        "[#search-ops] bot: ✅ Incident stopped at 2017-02-23 22:42:36 UTC. Thanks for letting us know."
        == stop[0]
    )
    assert (
        "[#general] bot: ✅ Incident stopped at 2017-02-23 22:42:36 UTC. Thanks for letting us know."
        in stop
    )
    assert "[#search-ops] topic cleared" in stop
    history = conv.say("warroom incidents all", user="carol", channel="general")
    assert "[#general] bot: Recent incidents:" == history[0]
    assert any("INC-2 search is slow" in line and "stopped, 0s" in line for line in history)


def test_rebind_moves_the_topic(conv: Conversation) -> None:
    conv.say("warroom incident start me checkout is down", user="alice", channel="general")
    lines = conv.say("warroom incident channel #war-room", user="alice", channel="general")
    arrived = "[#war-room] bot: 🔥 INC-1 (checkout is down) is now bound to #war-room. @alice is the IMOC."
    rebound = "[#general] bot: 🔀 INC-1 was rebound to #war-room."
    assert sorted(
        [
            rebound,
            "[#general] topic cleared",
            arrived,
            "[#war-room] topic: 🔥 @alice is IMOC for incident: checkout is down",
        ]
    ) == sorted(lines)
    assert lines.index(arrived) < lines.index(rebound)  # confirmed once it arrived
    assert ["[#war-room] bot: 📝 Noted on INC-1."] == conv.say("!incident note moved", user="alice")


def test_help_lists_commands_and_details_one(conv: Conversation) -> None:
    everything = conv.say("warroom help", user="alice")
    assert any("incident start [me|@user] <summary>" in line for line in everything)
    one = conv.say("warroom help incident handoff", user="alice")
    assert [
        "[#war-room] bot: `incident handoff @user` — Hand the IMOC role over to @user "
        "(recorded as a handoff)."
    ] == one


def test_effects_committed_but_not_delivered_are_delivered_on_the_next_start(
    app: App, make_conversation: MakeConversation
) -> None:
    """A crash between commit and delivery loses nothing: the outbox holds the promise."""
    deliveries = app.handle_message(
        ChatMessage(
            platform="shell", user="alice", channel="war-room", text="warroom incident start me x"
        )
    )
    assert 2 == len(deliveries)
    assert all(d.outbox_id for d in deliveries)
    restarted = make_conversation(app)  # start() delivers what is pending
    assert "[#war-room] topic: 🔥 @alice is IMOC for incident: x" in restarted.chat.lines()
    assert [] == app.pending_effects()
