"""A fake Slack on 127.0.0.1, so tests drive the real slack_bolt and slack_sdk over real sockets.

It serves the Web API (`POST /api/<method>`, recording every call and answering with Slack's
response shapes; `methods.METHODS`, one function per method) and the Socket Mode websocket
(`socket_mode`: `apps.connections.open` hands out `ws://127.0.0.1:PORT/link/...`; `push`
sends `events_api` envelopes and `acks` records the envelope acknowledgements). For the Events
API over HTTP, `signed_headers` builds the headers Slack signs requests with (`payloads`).

    async with FakeSlack(users={"U1": "alice"}) as slack:
        slack.channel("C1", "support")
        bot = ... SlackChat(client_for(slack.api_url)) ...
        envelope = await slack.message("U1", "C1", "spy incident start me checkout is down")
        await slack.wait_ack(envelope)
        assert "chat.postMessage" in slack.methods()

It refuses what Slack refuses (`workspace`, `methods`): a conversation is known by its ID once
a test made it (`channel`, the bot a member unless `joined=False`) or an event came from it (a
`D...` channel is the app's DM with the sender); chat.postMessage also takes a user ID (the DM)
or a channel's name, nothing else (`channel_not_found`); private channels the bot is not in
are `channel_not_found`; setTopic and invite need the bot in the channel (`not_in_channel`),
posting needs it too without `chat:write.public`; invite takes known user IDs only
(`user_not_found`); archived channels are `is_archived`; listings are paged by `limit` and
`cursor` (`page_size` caps a page). Errors and rate limits are injected per method with `fail`
and `rate_limit`.

`FakeSlack(scopes=...)` grants the bot token those OAuth scopes and no others (`scopes`): a
method called without the scope Slack's method page lists for it (for that kind of
conversation) answers `missing_scope` with `needed` and `provided`, as Slack does, and
`scopes_used` collects the granted scopes that calls needed. Without `scopes`, every method
is allowed.
"""

from warroom.testing.fake_slack.scopes import EVENT_SCOPES
from warroom.testing.fake_slack.server import FakeSlack
from warroom.testing.fake_slack.workspace import BOT_ID, BOT_USER, TEAM, Call, Channel, SlackError

__all__ = [
    "BOT_ID",
    "BOT_USER",
    "EVENT_SCOPES",
    "TEAM",
    "Call",
    "Channel",
    "FakeSlack",
    "SlackError",
]
