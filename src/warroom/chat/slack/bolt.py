"""The bolt app: listeners that translate Slack's events and hand them to the runtime."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from warroom.app.runtime import Runtime
from warroom.chat.slack.directory import SlackDirectory, link_typed_users, mentioned_users
from warroom.chat.slack.events import EVENTS, slash_message, to_message, to_reaction
from warroom.ports import ChatMessage

BOLT_LOG = logging.getLogger("warroom.chat.slack.bolt")
# bolt reads SLACK_BOT_TOKEN itself and warns that our client's token wins: it does, on purpose.
BOLT_LOG.addFilter(lambda record: "will be unused" not in record.getMessage())


def _bolt(client: AsyncWebClient, signing_secret: str | None) -> AsyncApp:
    return AsyncApp(
        client=client,
        signing_secret=signing_secret or "",
        request_verification_enabled=signing_secret is not None,
        # Built-in middleware we have no use for costs time on every event (bench/).
        ssl_check_enabled=signing_secret is not None,
        url_verification_enabled=signing_secret is not None,
        ignoring_self_assistant_message_events_enabled=False,
        attaching_function_token_enabled=False,
        attaching_conversation_kwargs_enabled=False,
        process_before_response=False,
        logger=BOLT_LOG,
    )


def build_bolt_app(
    runtime: Runtime,
    client: AsyncWebClient,
    *,
    signing_secret: str | None = None,
    handled: Callable[[], Awaitable[None]] | None = None,
    directory: SlackDirectory | None = None,
    slash_commands: Mapping[str, str] | None = None,
) -> AsyncApp:
    """The bolt app: its listeners translate and hand over to the runtime. With a signing
    secret it verifies every HTTP request (signature, 5-minute window)."""
    bolt = _bolt(client, signing_secret)

    async def done() -> None:
        if handled is not None:
            await handled()

    async def dispatch(msg: ChatMessage | None) -> None:
        """Hand a message to the runtime, with plain @names typed by users linked to users."""
        try:
            if msg is not None:
                if directory is not None:
                    msg = replace(msg, text=await link_typed_users(msg.text, directory))
                    known, unknown = await mentioned_users(msg.text, directory)
                    msg = replace(msg, user_names=known, unknown_users=unknown)
                await runtime.on_message(msg)
        finally:
            await done()

    async def on_message(event: dict[str, Any], context: Any) -> None:
        await dispatch(to_message(event, bot_user=context.bot_user_id))

    async def on_reaction(event: dict[str, Any], body: dict[str, Any], context: Any) -> None:
        try:
            reaction = to_reaction(event, event_id=body.get("event_id"))
            if reaction is not None and reaction.user != context.bot_user_id:
                await runtime.on_reaction(reaction)
        finally:
            await done()

    async def on_slash(ack: Any, command: dict[str, Any]) -> None:
        await ack()  # at once: Slack shows an error after 3 seconds without it
        await dispatch(slash_message(command, slash_commands or {}))

    for name in slash_commands or {}:
        bolt.command(name)(on_slash)
    listeners = {"message": on_message, "app_mention": on_message, "reaction_added": on_reaction}
    assert set(listeners) == set(EVENTS)
    for event_type, listener in listeners.items():
        bolt.event(event_type)(listener)
    return bolt
