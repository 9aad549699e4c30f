"""Slack, on slack_bolt's async API: Socket Mode by default, the Events API over HTTP on request.

Translation only. Incoming (`events`, `bolt`): `message` (channels, DMs), `app_mention`,
`reaction_added` and the slash commands become `ChatMessage` / `Reaction` for the `Runtime`;
bolt acknowledges every envelope before our listener runs, so slow work never delays the ack.
Outgoing (`chat`): `SlackChat` implements the `Chat` port with the Web API (`client`), with
Retry-After honoured on HTTP 429 (slack_sdk's retry handlers) and at most about one message per
second per channel (a token bucket); `SlackDirectory` (`directory`) knows names and IDs. Slack's
refusals become a `ChatError` that says what to do (`errors`). `SlackBot` (`bot`) puts it all
together around a runtime that the composition root builds (`RuntimeFactory`).

This module's names are the package's public API.
"""

from warroom.chat.factory import RuntimeFactory
from warroom.chat.slack.bolt import build_bolt_app
from warroom.chat.slack.bot import EVENTS_PATH, SlackBot, SlackTokens
from warroom.chat.slack.chat import Pacer, SlackChat
from warroom.chat.slack.client import DEFAULT_API_URL, PLATFORM, SlackApi, api_url, make_client
from warroom.chat.slack.directory import SlackDirectory, link_typed_users
from warroom.chat.slack.errors import chat_error
from warroom.chat.slack.events import (
    EVENTS,
    USER_SUBTYPES,
    slash_message,
    to_message,
    to_reaction,
)

__all__ = [
    "DEFAULT_API_URL",
    "EVENTS",
    "EVENTS_PATH",
    "PLATFORM",
    "USER_SUBTYPES",
    "Pacer",
    "RuntimeFactory",
    "SlackApi",
    "SlackBot",
    "SlackChat",
    "SlackDirectory",
    "SlackTokens",
    "api_url",
    "build_bolt_app",
    "chat_error",
    "link_typed_users",
    "make_client",
    "slash_message",
    "to_message",
    "to_reaction",
]
