"""A scripted chat conversation against a real App and database, for tests that read like chat:

conv = Conversation(app)
lines = conv.say("warroom incident start me checkout is down", user="alice")
assert "[#war-room] topic: 🔥 @alice is IMOC for incident: checkout is down" in lines
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Mapping

from warroom.app.service import App
from warroom.ports import ChatMessage, Pager, Reaction, StatusSource, Tracker
from warroom.testing.fakes import FakeChat, FakePresence
from warroom.wiring import manual_runtime


class Conversation:
    def __init__(
        self,
        app: App,
        *,
        platform: str = "shell",
        status: StatusSource | None = None,
        pagers: Mapping[str, Pager] | None = None,
        tracker: Tracker | None = None,
        presence: FakePresence | None = None,
    ) -> None:
        """`pagers` are added to the builtin roster's pager (which DMs on the fake chat)."""
        self.app = app
        self.chat = FakeChat(platform)
        self.presence = presence or FakePresence()
        # Timers fire only when the test says so (`run_timers`), at the app's clock.
        self.runtime, self.worker = manual_runtime(
            app,
            {platform: self.chat},
            status=status,
            pagers=pagers,
            tracker=tracker,
            presence=self.presence,
        )
        self.loop = asyncio.new_event_loop()
        self._refs = itertools.count(1)
        self.loop.run_until_complete(self.runtime.start())

    def run_timers(self) -> list[str]:
        """Fire every timer due at the app's clock now; returns what the bot did."""
        start = len(self.chat.sent)

        async def drain() -> None:
            while await self.worker.tick():
                pass
            await self.runtime.wait_idle()

        self.loop.run_until_complete(drain())
        return self.chat.lines(start)

    def say(
        self, text: str, *, user: str, channel: str = "war-room", dm: bool = False
    ) -> list[str]:
        """Send one message; returns what the bot did in answer, one line per action."""
        start = len(self.chat.sent)
        msg = ChatMessage(
            platform=self.chat.platform,
            user=user,
            channel=f"@{user}" if dm else channel,
            text=text,
            is_dm=dm,
            ref=f"u{next(self._refs)}",
        )
        self.loop.run_until_complete(self._settled(self.runtime.on_message(msg)))
        return self.chat.lines(start)

    async def _settled(self, work: Awaitable[None]) -> None:
        await work
        await self.runtime.wait_idle()  # pages and status checks are delivered in the background

    def refresh(self) -> None:
        """One round of the background on-call refresh."""
        self.loop.run_until_complete(self.runtime.refresh_oncall())

    def set_presence(self, user: str, status: str) -> None:
        """`active` or `away`, as the platform would tell it (the cache forgets the old one)."""
        self.presence.set(user, status)
        self.runtime.presence.forget(user.lstrip("@"))

    def last_ref(self) -> str:
        """The ref of the bot's last message: what a reaction in the test reacts to."""
        ref = self.chat.sent[-1].ref
        assert ref is not None, "the bot's last action was not a message"
        return ref

    def react(self, emoji: str, *, user: str, channel: str, message_ref: str) -> list[str]:
        start = len(self.chat.sent)
        reaction = Reaction(self.chat.platform, user, channel, emoji, message_ref)
        self.loop.run_until_complete(self._settled(self.runtime.on_reaction(reaction)))
        return self.chat.lines(start)

    def close(self) -> None:
        self.loop.run_until_complete(self.runtime.stop())
        self.loop.close()
