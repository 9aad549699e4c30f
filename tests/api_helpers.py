"""The HTTP API in-process: httpx's ASGI transport on a Conversation's loop and runtime, so
what an API call makes the bot say shows up in the conversation's chat."""

from __future__ import annotations

from typing import Any

import httpx

from warroom.store import tokens
from warroom.testing import Conversation
from warroom.web.app import create_app
from warroom.web.metrics import Metrics
from warroom.web.state import WebState


class Api:
    def __init__(self, conv: Conversation) -> None:
        self.conv = conv
        self.metrics = Metrics(conv.app)
        self.metrics.instrument(conv.app)
        self.state = WebState(
            app=conv.app, platform=conv.chat.platform, deliver=conv.runtime.deliver,
            metrics=self.metrics,
        )  # fmt: skip
        self.asgi = create_app(self.state)
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.asgi), base_url="http://warroom.test"
        )
        self.tokens: dict[str, str] = {}

    def token(self, name: str, scope: str) -> str:
        with self.conv.app.sessions.begin() as session:
            secret = tokens.create(name, scope, self.conv.app.clock.now(), session=session)
        self.tokens[name] = secret
        return secret

    def call(
        self, method: str, path: str, *, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        """One request; waits until what it made the bot do was delivered."""
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {self.tokens.get(token, token)}"

        async def go() -> httpx.Response:
            response = await self.client.request(method, path, headers=headers, **kwargs)
            await self.conv.runtime.wait_idle()
            return response

        return self.conv.loop.run_until_complete(go())

    def said(self, method: str, path: str, **kwargs: Any) -> tuple[httpx.Response, list[str]]:
        """The response, and what the bot said in chat meanwhile."""
        start = len(self.conv.chat.sent)
        response = self.call(method, path, **kwargs)
        return response, self.conv.chat.lines(start)

    def close(self) -> None:
        self.conv.loop.run_until_complete(self.client.aclose())
        view = self.state.extra.get("locks")
        if view is not None:
            self.conv.loop.run_until_complete(view.close())
