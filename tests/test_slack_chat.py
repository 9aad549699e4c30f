"""`SlackChat`, the Chat port on Slack's Web API, against the fake Slack: names and IDs,
war rooms, invitations, presence, and Slack's refusals explained."""

from __future__ import annotations

import pytest

from slack_helpers import CAMILO, FELIX, HORMOZ, MANIFEST_SCOPES, SUPPORT, USERS, run
from warroom.chat.slack import SlackChat, make_client
from warroom.core.doc import Doc
from warroom.ports import ChatError
from warroom.render import slack as slack_render
from warroom.testing.fake_slack import FakeSlack


def test_user_ids_the_app_wrote_as_text_read_as_names_and_ping_nobody() -> None:
    """A report's timeline says `@U04HORMOZ` (the stored IMOC): Slack shows `@hormoz`, plain."""
    names = {HORMOZ: "hormoz"}
    text = "to @U04HORMOZ, not @U0NOBODY; a@U04HORMOZ <@U04HORMOZ> @U04HORMOZX"
    assert "to @hormoz, not @U0NOBODY; a@U04HORMOZ @hormoz @U04HORMOZX" == slack_render.inert(
        text, names
    )
    assert {HORMOZ, "U0NOBODY", "U04HORMOZX"} == slack_render.typed_ids(Doc.of(text))


def test_names_are_cached_and_listed_again_when_stale() -> None:
    """Users and channels are listed once per `ttl`; an unknown name lists them again, but
    not more often than every 30 seconds."""

    async def scenario() -> None:
        now = [1000.0]
        async with FakeSlack(users={"U1": "alice"}, scopes=MANIFEST_SCOPES) as slack:
            slack.channel(SUPPORT, "support")
            chat = SlackChat(make_client("xoxb-test", base_url=slack.api_url), cache_seconds=600)
            chat.directory.clock = lambda: now[0]
            names = await chat.directory.names({"@alice", "#support"})
            assert ("U1", SUPPORT) == (names["@alice"], names["#support"])
            slack.users["U2"] = "bob"
            assert "@bob" not in await chat.directory.names({"@alice"})
            now[0] += 10
            assert "@bob" not in await chat.directory.names({"@bob"})  # asked again too soon
            assert 1 == len(slack.called("users.list"))
            now[0] += 30
            assert "U2" == (await chat.directory.names({"@bob"}))["@bob"]
            del slack.users["U1"]
            now[0] += 601
            assert "@alice" not in await chat.directory.names(set())  # stale: listed again
            assert 3 == len(slack.called("users.list"))

    run(scenario)


def test_war_rooms_are_created_or_found_and_people_invited() -> None:
    async def scenario() -> None:
        async with FakeSlack(users=USERS, scopes=MANIFEST_SCOPES) as slack:
            chat = SlackChat(make_client("xoxb-test", base_url=slack.api_url))
            created = await chat.create_channel(name="#INC-7-checkout")
            assert "inc-7-checkout" == slack.channels[created].name
            assert created == await chat.create_channel(name="inc-7-checkout")  # name_taken
            await chat.invite(channel=created, users=[CAMILO, FELIX])
            await chat.invite(channel=created, users=[CAMILO])  # already there: no error
            assert {CAMILO, FELIX} <= slack.channels[created].members
            assert "U02CAMILO,U05FELIX" == slack.called("conversations.invite")[0].args["users"]

    run(scenario)


def test_a_new_war_room_is_usable_by_its_name_at_once() -> None:
    """`!ir page` binds the incident to the war room's name: topic and posts reach the new
    channel's ID without waiting for the next listing of channels."""

    async def scenario() -> None:
        async with FakeSlack(scopes=MANIFEST_SCOPES) as slack:
            slack.channel(SUPPORT, "support")
            chat = SlackChat(make_client("xoxb-test", base_url=slack.api_url))
            await chat.post(channel="support", doc=Doc.of("warm the cache"))
            created = await chat.create_channel(name="ir-20170223-2242")
            listings = len(slack.called("conversations.list"))
            await chat.set_topic(channel="ir-20170223-2242", topic=Doc.of("🔥 war room"))
            await chat.post(channel="ir-20170223-2242", doc=Doc.of("hello"))
            assert created == slack.called("conversations.setTopic")[-1].args["channel"]
            assert created == slack.called("chat.postMessage")[-1].args["channel"]
            assert listings == len(slack.called("conversations.list"))

    run(scenario)


def test_roster_handles_are_invited_into_a_war_room_named_by_its_name() -> None:
    """`!ir page` invites roster handles (`alice`) into the war room it created by name."""

    async def scenario() -> None:
        async with FakeSlack(users=USERS, scopes=MANIFEST_SCOPES) as slack:
            chat = SlackChat(make_client("xoxb-test", base_url=slack.api_url))
            created = await chat.create_channel(name="ir-20170223-2242")
            await chat.invite(
                channel="ir-20170223-2242", users=[USERS[CAMILO], "@" + USERS[FELIX], FELIX]
            )
            invite = slack.called("conversations.invite")[-1].args
            assert (created, f"{CAMILO},{FELIX}") == (invite["channel"], invite["users"])
            assert {CAMILO, FELIX} <= slack.channels[created].members

    run(scenario)


def test_presence_comes_from_users_get_presence_by_id_or_handle() -> None:
    """The fair rotation asks whether people are online; roster handles resolve to users."""

    async def scenario() -> None:
        async with FakeSlack(users=USERS, scopes=MANIFEST_SCOPES) as slack:
            slack.presences[FELIX] = "away"
            chat = SlackChat(make_client("xoxb-test", base_url=slack.api_url))
            assert "active" == await chat.presence(user=CAMILO)
            assert "away" == await chat.presence(user=FELIX)
            assert "away" == await chat.presence(user="@" + slack.users[FELIX])
            asked = [c.args["user"] for c in slack.called("users.getPresence")]
            assert [CAMILO, FELIX, FELIX] == asked

    run(scenario)


def test_an_archived_channel_is_explained() -> None:
    async def scenario() -> None:
        async with FakeSlack(scopes=MANIFEST_SCOPES) as slack:
            slack.channel(SUPPORT, "support", archived=True)
            chat = SlackChat(make_client("xoxb-test", base_url=slack.api_url))
            with pytest.raises(ChatError) as refused:
                await chat.post(channel=SUPPORT, doc=Doc.of("hello"))
            assert "#support is archived, so I can't act there." == str(refused.value)  # its name
            assert "chat.postMessage: is_archived: unarchive" in refused.value.fix

    run(scenario)


def test_find_user_by_email_as_slack_answers_it() -> None:
    """users.lookupByEmail: a member's ID; None for an address nobody in the workspace has
    (Slack's `users_not_found`), whatever its case."""

    async def scenario() -> None:
        async with FakeSlack(users={"U0CAROL": "carol"}, scopes=MANIFEST_SCOPES) as slack:
            slack.emails["carol@example.com"] = "U0CAROL"
            chat = SlackChat(make_client("xoxb-test", base_url=slack.api_url))
            assert "U0CAROL" == await chat.find_user(email="Carol@Example.com")
            assert None is await chat.find_user(email="nobody@example.com")

    run(scenario)
