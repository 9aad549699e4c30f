"""The fake Slack refuses what Slack refuses (each error as Slack's method page names it), and
pages its listings, so the adapter meets here what it would meet in a workspace."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from slack_helpers import CAMILO, FELIX, MANIFEST_SCOPES, SUPPORT, USERS, run
from warroom.chat.slack import SlackChat, make_client
from warroom.core.doc import Doc
from warroom.testing.fake_slack import BOT_USER, FakeSlack

OPEN, VAULT, QUIET, OLD = "C0OPEN", "G0VAULT", "C0QUIET", "C0OLD"


@asynccontextmanager
async def workspace(**kw: Any) -> AsyncIterator[tuple[FakeSlack, AsyncWebClient]]:
    """The fake with the test users, #open (the bot in it), #vault (private, the bot not in
    it), #quiet (public, the bot not in it) and #old (archived)."""
    async with FakeSlack(users=USERS, **{"scopes": MANIFEST_SCOPES, **kw}) as slack:
        slack.channel(OPEN, "open").members.add(CAMILO)
        slack.channel(VAULT, "vault", is_private=True, joined=False)
        slack.channel(QUIET, "quiet", joined=False)
        slack.channel(OLD, "old", archived=True)
        yield slack, make_client("xoxb-test", base_url=slack.api_url)


async def refused(call: Awaitable[Any]) -> str:
    with pytest.raises(SlackApiError) as exc:
        await call
    return str(exc.value.response["error"])


def scenario(body: Callable[[FakeSlack, AsyncWebClient], Awaitable[None]], **kw: Any) -> None:
    async def main() -> None:
        async with workspace(**kw) as (slack, client):
            await body(slack, client)

    run(main)


def test_post_message_takes_a_conversation_id_a_user_id_or_a_channel_name_only() -> None:
    """A handle (`carol`, as the builtin roster names people) is not a channel: Slack answers
    `channel_not_found`, as it does for an ID it does not know."""

    async def body(slack: FakeSlack, client: AsyncWebClient) -> None:
        for where in ("carol", "@camilo", "CAROL", "C0NOWHERE", "U0NOBODY", "D0NOBODY"):
            post = client.chat_postMessage(channel=where, text="hi")
            assert "channel_not_found" == await refused(post), where
        for where in (OPEN, "open", "#open", CAMILO):
            await client.chat_postMessage(channel=where, text="hi")
        assert ["hi"] == slack.posts(CAMILO)  # the app's DM with camilo
        assert slack.channels["D" + CAMILO].im_user == CAMILO

    scenario(body)


def test_a_dm_the_app_was_written_in_can_be_answered_by_its_id() -> None:
    async def body(slack: FakeSlack, client: AsyncWebClient) -> None:
        slack.message_event(FELIX, "D0FELIX", "incidents")
        await client.chat_postMessage(channel="D0FELIX", text="No incidents right now.")
        await client.chat_postMessage(channel=FELIX, text="and by user ID")
        assert ["No incidents right now."] == slack.posts("D0FELIX")

    scenario(body)


def test_channels_the_bot_is_not_in() -> None:
    """Private: invisible (`channel_not_found`). Public: `not_in_channel` for posting without
    `chat:write.public`, for setting the topic and for inviting."""

    async def body(slack: FakeSlack, client: AsyncWebClient) -> None:
        assert "channel_not_found" == await refused(
            client.chat_postMessage(channel=VAULT, text="x")
        )
        assert "channel_not_found" == await refused(client.conversations_info(channel=VAULT))
        assert "not_in_channel" == await refused(client.chat_postMessage(channel=QUIET, text="x"))
        assert "not_in_channel" == await refused(
            client.conversations_setTopic(channel=QUIET, topic="x")
        )
        assert "not_in_channel" == await refused(
            client.conversations_invite(channel=QUIET, users=CAMILO)
        )
        listed = await client.conversations_list(types="public_channel,private_channel")
        assert {OPEN, QUIET, OLD} == {c["id"] for c in listed["channels"]}
        assert "" == slack.channels[QUIET].topic

    scenario(body)


def test_a_public_channel_takes_posts_from_a_bot_with_chat_write_public() -> None:
    async def body(slack: FakeSlack, client: AsyncWebClient) -> None:
        await client.chat_postMessage(channel=QUIET, text="hello")
        assert "chat:write.public" in slack.scopes_used

    scenario(body, scopes=MANIFEST_SCOPES | {"chat:write.public"})


def test_conversations_methods_take_ids_and_invite_known_user_ids() -> None:
    async def body(slack: FakeSlack, client: AsyncWebClient) -> None:
        assert "channel_not_found" == await refused(
            client.conversations_setTopic(channel="open", topic="x")
        )
        assert "too_long" == await refused(
            client.conversations_setTopic(channel=OPEN, topic="x" * 251)
        )
        assert "is_archived" == await refused(client.conversations_setTopic(channel=OLD, topic="x"))
        for users, error in [
            ("camilo", "user_not_found"),  # a handle, not an ID
            (f"{FELIX},U0NOBODY", "user_not_found"),
            (BOT_USER, "cant_invite_self"),
            (CAMILO, "already_in_channel"),
        ]:
            invite = client.conversations_invite(channel=OPEN, users=users)
            assert error == await refused(invite), users
        assert FELIX not in slack.channels[OPEN].members  # refused means nothing changed
        assert "invalid_name_specials" == await refused(client.conversations_create(name="INC 7"))

    scenario(body)


def test_ephemeral_messages_go_to_members_only() -> None:
    async def body(slack: FakeSlack, client: AsyncWebClient) -> None:
        await client.chat_postEphemeral(channel=OPEN, user=CAMILO, text="psst")
        post = client.chat_postEphemeral(channel=OPEN, user=FELIX, text="psst")
        assert "user_not_in_channel" == await refused(post)
        post = client.chat_postEphemeral(channel=OPEN, user="U0NOBODY", text="psst")
        assert "user_not_found" == await refused(post)

    scenario(body)


def test_messages_need_text_within_slacks_limits() -> None:
    async def body(slack: FakeSlack, client: AsyncWebClient) -> None:
        empty = client.api_call("chat.postMessage", json={"channel": OPEN})
        assert "no_text" == await refused(empty)
        too_long = client.chat_postMessage(channel=OPEN, text="x" * 40_001)
        assert "msg_too_long" == await refused(too_long)

    scenario(body)


def test_the_directory_reads_every_page_of_a_listing() -> None:
    """Slack answers a listing in pages (`limit`, `response_metadata.next_cursor`): with two
    items a page, every user and channel is still known, and a war room on the last page is
    found when its name is taken."""

    async def main() -> None:
        async with workspace(page_size=2) as (slack, client):
            slack.channel(SUPPORT, "support")
            room = slack.channel("C0ROOM", "ir-20170223-2242").id
            chat = SlackChat(client)
            names = await chat.directory.names({"@marsh", "#support"})
            assert {f"@{name}" for name in USERS.values()} <= set(names)
            assert {"#open", "#quiet", "#old", "#support"} <= set(names)
            assert "#vault" not in names  # private, the bot not in it
            pages = len(slack.called("users.list"))
            assert (len(USERS) + 1) // 2 == pages
            assert room == await chat.create_channel(name="ir-20170223-2242")
            assert all("cursor" in c.args for c in slack.called("users.list")[1:])
            await chat.post(channel="support", doc=Doc.of("found by name"))
            assert ["found by name"] == slack.posts(SUPPORT)

    run(main)


def test_a_bad_cursor_is_refused() -> None:
    async def body(slack: FakeSlack, client: AsyncWebClient) -> None:
        assert "invalid_cursor" == await refused(client.users_list(cursor="bogus"))

    scenario(body)
