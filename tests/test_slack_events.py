"""What Slack sends, through slack_bolt, to the app: messages in channels and DMs, the bot's own
messages and other subtypes, slash commands and reactions."""

from __future__ import annotations

import pytest

from slack_helpers import (
    CAMILO,
    DANIELLA,
    FELIX,
    HORMOZ,
    SUPPORT,
    WAR_ROOM,
    connected,
    run,
    texts,
)
from warroom.app.effects import Delivery
from warroom.app.service import App
from warroom.config import Settings
from warroom.ports import Reaction
from warroom.testing.fake_slack import BOT_USER


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.slack.posts_per_second = 1000.0  # pacing has its own test
    settings.reminders = []
    return settings


def test_the_bots_own_messages_and_non_user_subtypes_are_ignored(app: App) -> None:
    async def scenario() -> None:
        async with connected(app) as s:
            assert [] == await s.say(BOT_USER, "spy incidents", to_us=False)
            assert [] == await s.say(BOT_USER, "spy incidents", bot_id="BBOT", to_us=False)
            assert [] == await s.say(CAMILO, "spy incidents", bot_id="B0OTHER")
            assert [] == await s.say(CAMILO, "spy incidents", subtype="message_changed")
            assert [] == await s.say(CAMILO, "spy incidents", subtype="channel_join")
            assert ["No incidents right now."] == texts(
                await s.say(CAMILO, "spy incidents", subtype="thread_broadcast")
            )

    run(scenario)


def test_cmd_in_a_dm_acts_on_the_channel_slack_linked(app: App) -> None:
    """In a DM, `cmd #war-room ...` arrives as `cmd <#C0WARROOM|war-room> ...`."""

    async def scenario() -> None:
        async with connected(app) as s:
            await s.say(DANIELLA, "spy incident start me checkout is down")
            dm = "D0DANIELLA"
            calls = await s.say(
                DANIELLA, f"cmd <#{WAR_ROOM}|war-room> incident note rolled back", channel=dm
            )
            assert [(WAR_ROOM, "📝 Noted on INC-1.")] == [
                (c.args["channel"], c.args["text"]) for c in calls
            ]
            calls = await s.say(DANIELLA, f"cmd <#{SUPPORT}> incident tldr", channel=dm)
            assert [DANIELLA] == [c.args["channel"] for c in calls]  # her DM with the app
            assert texts(calls)[0].startswith("No incident is bound to this channel.")
            (tldr,) = texts(await s.say(DANIELLA, "spy incident tldr"))
            assert "Note: rolled back" in tldr

    run(scenario)


def test_slash_commands_map_onto_the_same_grammar(app: App) -> None:
    async def scenario() -> None:
        async with connected(app) as s:

            async def slash(name: str, text: str, user: str = DANIELLA) -> list[str]:
                start = len(s.slack.calls)
                payload = s.slack.slash_payload(name, text, user=user, channel=WAR_ROOM)
                envelope = await s.push(payload, kind="slash_commands")
                assert envelope in s.slack.acks
                return [
                    f"{c.method} {c.args.get('user', '')}: {c.args['text']}"
                    for c in s.slack.calls[start:]
                    if c.method.startswith("chat.")
                ]

            started = await slash("/incident", f"start <@{HORMOZ}|hormoz> checkout is down")
            assert "(INC-1)" in started[0]
            assert "<@U04HORMOZ> is the IMOC." in started[0]
            # Typed without Slack's escaping, @charlie still resolves to the user.
            assert ["chat.postMessage : 🎧 <@U03CHARLIE> is the SRM of INC-1."] == await slash(
                "/incident", "srm @charlie"
            )
            assert [
                "chat.postEphemeral U01DANIELLA: No incident commanders are configured: set "
                "`oncall.commanders` (see docs/configuration.md)."
            ] == await slash("/page", "imoc checkout is down")
            assert [
                "chat.postEphemeral U01DANIELLA: Which incident? Give its URL or say what is "
                "wrong.\nUsage: `devoncall &lt;incident URL or text&gt;`"
            ] == await slash("/devoncall", "")
            (listing,) = await slash("/incident", "", user=FELIX)
            assert listing.startswith("chat.postEphemeral U05FELIX: Which incident command?")
            assert "`incident start [me|@user] &lt;summary&gt;, " in listing

    run(scenario)


def test_reactions_reach_the_app(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Reaction] = []

    def record(reaction: Reaction) -> list[Delivery]:
        seen.append(reaction)
        return []

    monkeypatch.setattr(app, "handle_reaction", record)

    async def scenario() -> None:
        async with connected(app) as s:
            event = {
                "type": "reaction_added",
                "user": CAMILO,
                "reaction": "white_check_mark",
                "item": {"type": "message", "channel": WAR_ROOM, "ts": "1700000000.000100"},
                "item_user": BOT_USER,
                "event_ts": "1700000001.000200",
            }
            await s.push(s.slack.callback(event, event_id="Ev0REACT"))
            await s.push(s.slack.callback(dict(event, user=BOT_USER)), to_us=False)  # our own

    run(scenario)
    assert [
        Reaction(
            "slack", CAMILO, WAR_ROOM, "white_check_mark", "1700000000.000100", "slack:Ev0REACT"
        )
    ] == seen


def test_answers_in_a_dm_need_no_lookups(app: App) -> None:
    async def scenario() -> None:
        async with connected(app) as s:
            await s.say(CAMILO, "incidents", channel="D0CAMILO")
            await s.say(CAMILO, "help", channel="D0CAMILO")
            assert [] == s.slack.called("users.list")
            assert [] == s.slack.called("conversations.list")

    run(scenario)
