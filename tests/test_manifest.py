"""manifest.yml lists exactly what the Slack adapter uses: events, slash commands, and OAuth scopes
(every Slack test runs with the fake granting the manifest's scopes and no others)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from slack_helpers import CAMILO, DANIELLA, FELIX, MANIFEST_SCOPES, USERS, connected, run, texts
from warroom.app.service import App
from warroom.chat.slack import EVENTS, SlackChat, make_client
from warroom.config import Settings
from warroom.core.doc import Doc
from warroom.ports import ChatError
from warroom.testing.fake_slack import EVENT_SCOPES, FakeSlack

MANIFEST = Path(__file__).parents[1] / "manifest.yml"


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())
    return data


def test_the_manifest_has_the_configured_slash_commands() -> None:
    commands = {c["command"] for c in manifest()["features"]["slash_commands"]}
    assert set(Settings().slack.slash_commands) == commands
    assert all(c["should_escape"] for c in manifest()["features"]["slash_commands"])


def test_the_manifest_subscribes_to_exactly_the_events_the_app_listens_to() -> None:
    expected = {name for names in EVENTS.values() for name in names}
    assert expected == set(manifest()["settings"]["event_subscriptions"]["bot_events"])
    assert manifest()["settings"]["socket_mode_enabled"] is True


def test_the_manifest_grants_exactly_the_scopes_the_bot_uses(app: App) -> None:
    """One conversation through every feature that needs a scope, with the fake granting the
    manifest's scopes only: every call succeeds (nothing missing), and the scopes the calls
    needed, with those of the events and slash commands, are all the manifest has (nothing
    extra)."""
    private = "G0VAULT"

    async def scenario() -> None:
        async with FakeSlack(users=USERS, scopes=MANIFEST_SCOPES) as slack:
            slack.channel(private, "vault", is_private=True)
            async with connected(app, slack) as s:
                await s.say(DANIELLA, "spy incident start me checkout is down")  # topic: public
                await s.say(DANIELLA, "spy incident tell support refunds on hold")  # by name
                await s.say(DANIELLA, f"spy incident note asked @{USERS[FELIX]}")  # a typed @name
                await s.say(DANIELLA, "spy incident start me the vault is open", channel=private)
                await s.say(DANIELLA, "spy incident nonsense")  # ephemeral usage
                assert s.bot.chat is not None
                chat = s.bot.chat
                room = await chat.create_channel(name="ir-20171201-0700")  # a war room
                await chat.invite(channel=room, users=[CAMILO])
                await chat.presence(user=CAMILO)  # the fair rotation
                slack.emails["camilo@example.com"] = CAMILO
                assert CAMILO == await chat.find_user(email="camilo@example.com")  # vendor-only
            assert [] == [c for c in slack.calls if c.status != 200]
            assert "🔥" in texts(slack.called("chat.postMessage"))[0]
            assert slack.channels[private].topic
            events = set(manifest()["settings"]["event_subscriptions"]["bot_events"])
            needed = slack.scopes_used | {EVENT_SCOPES[e] for e in events} | {"commands"}
            assert needed == MANIFEST_SCOPES

    run(scenario)


def test_a_scope_missing_from_the_grant_is_refused_like_slack_does() -> None:
    """The fake's check itself: without `groups:write` a private channel's topic is refused
    with Slack's `missing_scope` answer, and the bot's Web API client sees it."""

    async def scenario() -> None:
        async with FakeSlack(scopes=MANIFEST_SCOPES - {"groups:write"}) as slack:
            slack.channel("G0VAULT", "vault", is_private=True)
            slack.channel("C0OPEN", "open")
            chat = SlackChat(make_client("xoxb-test", base_url=slack.api_url))
            await chat.set_topic(channel="C0OPEN", topic=Doc.of("fine"))
            with pytest.raises(ChatError, match="groups:write"):
                await chat.set_topic(channel="G0VAULT", topic=Doc.of("refused"))
            assert "" == slack.channels["G0VAULT"].topic
            assert {"channels:manage"} == slack.scopes_used

    run(scenario)
