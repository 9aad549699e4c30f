"""The whole Slack side of one process, and `run`: until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

import aiohttp
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from warroom.app.runtime import Runtime
from warroom.app.service import App
from warroom.chat.factory import RuntimeFactory
from warroom.chat.slack.bolt import build_bolt_app
from warroom.chat.slack.chat import SlackChat
from warroom.chat.slack.client import PLATFORM, api_url, make_client
from warroom.chat.slack.gate import check
from warroom.ports import ChatError

log = logging.getLogger("warroom.chat.slack")

EVENTS_PATH = "/slack/events"
SOCKET_WATCH = 1.0  # seconds between looks at the Socket Mode connection (for /readyz)


@dataclass
class SlackTokens:
    """What Slack gave the app (the composition root reads them from the settings' secrets);
    `api_url` is where the Web API is (`SLACK_API_URL`, for a proxy)."""

    bot: str
    app: str | None = None
    signing_secret: str | None = None
    api_url: str | None = None


class SlackBot:
    """The whole Slack side of one process: client, chat, runtime, bolt app, and a Socket Mode
    connection, or with `http` the Events API's route (`routes()`) for the process's one web
    server to serve. `async with SlackBot(...) as bot:` starts and stops it."""

    def __init__(
        self,
        app: App,
        tokens: SlackTokens,
        *,
        runtime_factory: RuntimeFactory,
        base_url: str | None = None,
        http: bool = False,
    ) -> None:
        self.app = app
        self.tokens = tokens
        self.runtime_factory = runtime_factory
        self.base_url = base_url or api_url(tokens.api_url)
        self.http = http
        self.chat: SlackChat | None = None
        self.runtime: Runtime | None = None
        self.bolt: AsyncApp | None = None
        self._session: aiohttp.ClientSession | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._watch: asyncio.Task[None] | None = None
        self._events: AsyncSlackRequestHandler | None = None
        self._stack: contextlib.AsyncExitStack | None = None
        self.handled = 0  # events our listeners finished with (for tests and the benchmark)
        self._handled = asyncio.Condition()

    async def _count_handled(self) -> None:
        async with self._handled:
            self.handled += 1
            self._handled.notify_all()

    async def wait_handled(self, count: int, timeout: float = 20) -> None:
        """Wait until our listeners have finished with `count` events in all."""
        async with self._handled:
            await asyncio.wait_for(self._handled.wait_for(lambda: self.handled >= count), timeout)

    async def __aenter__(self) -> SlackBot:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        settings = self.app.settings
        self._session = aiohttp.ClientSession()
        client = make_client(self.tokens.bot, base_url=self.base_url, session=self._session)
        self.chat = chat = SlackChat(
            client,
            bot_name=settings.bot.name,
            posts_per_second=settings.slack.posts_per_second,
            burst=settings.slack.burst,
            cache_seconds=settings.slack.cache_seconds,
        )
        self._stack = contextlib.AsyncExitStack()
        self.runtime = await self._stack.enter_async_context(
            self.runtime_factory({PLATFORM: chat}, presence=chat)
        )
        await self.runtime.start()
        self.bolt = build_bolt_app(
            self.runtime,
            client,
            signing_secret=self.tokens.signing_secret if self.http else None,
            handled=self._count_handled,
            directory=chat.directory,
            slash_commands=settings.slack.slash_commands,
        )
        if self.http:
            if not self.tokens.signing_secret:
                raise ChatError("HTTP mode needs SLACK_SIGNING_SECRET")
            self._events = AsyncSlackRequestHandler(self.bolt)
            self._connected(True)  # Slack comes to us: nothing to hold open
        else:
            await self._connect_socket(client)

    def _connected(self, up: bool) -> None:
        """What /readyz reports for Slack (the runtime's `connected`)."""
        if self.runtime is not None:
            self.runtime.connected[PLATFORM] = up

    async def _connect_socket(self, client: AsyncWebClient) -> None:
        if not self.tokens.app:
            raise ChatError("Socket Mode needs SLACK_APP_TOKEN (xapp-...)")
        assert self.bolt is not None
        self._socket = AsyncSocketModeHandler(self.bolt, self.tokens.app, web_client=client)
        self._connected(False)
        await self._socket.connect_async()  # type: ignore[no-untyped-call]
        log.info("connected to Slack in Socket Mode (%s)", self.base_url)
        self._watch = asyncio.create_task(self._watch_socket(), name="slack-socket-watch")

    async def _watch_socket(self) -> None:
        """Keep the runtime's `connected` up to date: slack_sdk reconnects by itself; this only
        looks (the socket closed, stale, or its pings unanswered means not connected)."""
        while self._socket is not None:
            try:
                up = bool(await self._socket.client.is_connected())
            except Exception:  # a half-torn-down client: not connected
                up = False
            self._connected(up)
            await asyncio.sleep(SOCKET_WATCH)

    def routes(self) -> list[BaseRoute]:
        """`POST /slack/events` for the web server (HTTP mode only)."""
        if self._events is None:
            raise ChatError("the Events API route exists only in HTTP mode, once started")
        return [Route(EVENTS_PATH, self.events, methods=["POST"], include_in_schema=False)]

    async def events(self, request: Request) -> Response:
        """One Events API request: signature and body checked on the raw bytes (gate.py), then
        bolt's ASGI adapter acknowledges it and our listeners run."""
        assert self._events is not None
        assert self.tokens.signing_secret is not None
        body = await request.body()  # Starlette keeps it: bolt's adapter reads the same bytes
        refusal = check(
            self.tokens.signing_secret, body, request.headers,
            request.headers.get("content-type", ""),
        )  # fmt: skip
        if refusal is not None:
            remote = request.client.host if request.client else None
            log.warning("%s", refusal.log_line(remote))
            return Response(status_code=refusal.status)
        return await self._events.handle(request)

    async def stop(self) -> None:
        self._connected(False)
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        self._events = None
        if self._stack is not None:  # timers stop, work in hand finishes, clients close
            await self._stack.aclose()
            self._stack = None
        if self._session is not None:
            await self._session.close()
            self._session = None
