"""A bot connected to the fake Slack, driven like a conversation: `await s.say(...)`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from warroom.app.service import App
from warroom.chat.slack import SlackBot, SlackTokens
from warroom.testing.fake_slack import Call, FakeSlack
from warroom.web.server import WebServer
from warroom.wiring import runtime_for

USERS = {
    "U01DANIELLA": "daniella",
    "U02CAMILO": "camilo",
    "U03CHARLIE": "charlie",
    "U04HORMOZ": "hormoz",
    "U05FELIX": "felix",
    "U06MARSH": "marsh",
}
DANIELLA, CAMILO, CHARLIE, HORMOZ, FELIX, MARSH = USERS
WAR_ROOM = "C0WARROOM"
SUPPORT = "C0SUPPORT"
DATASTORES = "C0DATASTORES"
LOOKUPS = frozenset({"auth.test", "users.list", "conversations.list"})
MANIFEST = Path(__file__).parents[1] / "manifest.yml"
# The fake grants the bot token exactly the manifest's scopes: a call the manifest does not
# cover fails in every Slack test as it would in a workspace.
MANIFEST_SCOPES = frozenset(yaml.safe_load(MANIFEST.read_text())["oauth_config"]["scopes"]["bot"])
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


class Session:
    """The fake Slack and a bot connected to it."""

    def __init__(self, slack: FakeSlack, bot: SlackBot, web: WebServer | None = None) -> None:
        self.slack = slack
        self.bot = bot
        self.web = web  # HTTP mode: the web server that serves /slack/events
        self.events = 0

    async def settle(self) -> None:
        await self.bot.wait_handled(self.events)
        assert self.bot.runtime is not None
        await self.bot.runtime.wait_idle()

    async def push(self, payload: dict[str, Any], *, to_us: bool = True, **kw: Any) -> str:
        """Push one envelope, wait for its ack and for the bot to finish with it. `to_us=False`:
        bolt itself drops it (the bot's own messages) before any listener runs."""
        envelope = await self.slack.push(payload, **kw)
        self.events += to_us
        await self.slack.wait_ack(envelope)
        await self.settle()
        return envelope

    async def say(
        self, user: str, text: str, channel: str = WAR_ROOM, *, to_us: bool = True, **kw: Any
    ) -> list[Call]:
        """Send one message; returns the Web API calls the bot made in answer."""
        start = len(self.slack.calls)
        await self.push(self.slack.message_event(user, channel, text, **kw), to_us=to_us)
        return [c for c in self.slack.calls[start:] if c.method not in LOOKUPS]


@asynccontextmanager
async def connected(
    app: App, slack: FakeSlack | None = None, *, http: bool = False
) -> AsyncIterator[Session]:
    owned = slack is None
    if slack is None:
        slack = FakeSlack(users=USERS, scopes=MANIFEST_SCOPES)
        await slack.start()
    slack.channel(WAR_ROOM, "war-room")
    slack.channel(SUPPORT, "support")
    slack.channel(DATASTORES, "datastores")
    tokens = SlackTokens(bot="xoxb-test", app="xapp-test", signing_secret=SECRET if http else None)
    try:
        async with SlackBot(
            app,
            tokens,
            runtime_factory=partial(runtime_for, app),
            base_url=slack.api_url,
            http=http,
        ) as bot:
            if not http:
                await slack.wait_connected()
                yield Session(slack, bot)
                return
            assert bot.runtime is not None
            web = WebServer(bot.runtime, "127.0.0.1", 0, routes=bot.routes())
            await web.start()
            try:
                yield Session(slack, bot, web)
            finally:
                await web.stop()
    finally:
        if owned:
            await slack.close()


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(scenario())


def texts(calls: list[Call], method: str = "chat.postMessage") -> list[str]:
    return [c.args.get("text", "") for c in calls if c.method == method and c.status == 200]
