"""The whole Slack side of one process, and `run`: until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from warroom.app.runtime import Runtime
from warroom.app.service import App
from warroom.chat.factory import RuntimeFactory
from warroom.chat.slack.bolt import build_bolt_app
from warroom.chat.slack.chat import SlackChat
from warroom.chat.slack.client import PLATFORM, api_url, make_client
from warroom.ports import ChatError

log = logging.getLogger("warroom.chat.slack")

EVENTS_PATH = "/slack/events"


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
    connection or an HTTP server. `async with SlackBot(...) as bot:` starts and stops it."""

    def __init__(
        self,
        app: App,
        tokens: SlackTokens,
        *,
        runtime_factory: RuntimeFactory,
        base_url: str | None = None,
        http: tuple[str, int] | None = None,
    ) -> None:
        self.app = app
        self.tokens = tokens
        self.runtime_factory = runtime_factory
        self.base_url = base_url or api_url(tokens.api_url)
        self.http = http
        self.chat: SlackChat | None = None
        self.runtime: Runtime | None = None
        self.bolt: AsyncApp | None = None
        self.port: int | None = None
        self._session: aiohttp.ClientSession | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._runner: web.AppRunner | None = None
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
            signing_secret=self.tokens.signing_secret if self.http is not None else None,
            handled=self._count_handled,
            directory=chat.directory,
            slash_commands=settings.slack.slash_commands,
        )
        if self.http is not None:
            await self._serve_http(*self.http)
        else:
            await self._connect_socket(client)

    async def _connect_socket(self, client: AsyncWebClient) -> None:
        if not self.tokens.app:
            raise ChatError("Socket Mode needs SLACK_APP_TOKEN (xapp-...)")
        assert self.bolt is not None
        self._socket = AsyncSocketModeHandler(self.bolt, self.tokens.app, web_client=client)
        await self._socket.connect_async()  # type: ignore[no-untyped-call]
        log.info("connected to Slack in Socket Mode (%s)", self.base_url)

    async def _serve_http(self, host: str, port: int) -> None:
        if not self.tokens.signing_secret:
            raise ChatError("HTTP mode needs SLACK_SIGNING_SECRET")
        assert self.bolt is not None
        server = self.bolt.server(port=port, path=EVENTS_PATH, host=host)
        server.web_app.middlewares.append(_gate(self.tokens.signing_secret))
        self._runner = web.AppRunner(server.web_app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = site._server
        self.port = bound.sockets[0].getsockname()[1] if bound is not None else port  # type: ignore[attr-defined]
        log.info("serving Slack's Events API on http://%s:%s%s", host, self.port, EVENTS_PATH)

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._stack is not None:  # timers stop, work in hand finishes, clients close
            await self._stack.aclose()
            self._stack = None
        if self._session is not None:
            await self._session.close()
            self._session = None


SIGNATURE_WINDOW = 5 * 60  # seconds: Slack's own limit on a request's age


def _gate(secret: str) -> Callable[..., Awaitable[web.StreamResponse]]:
    """Before bolt sees a request: verify its signature on the raw bytes, then parse it. A bad
    or stale signature is 401, a body that is not what Slack sends is 400; each one log line,
    never a traceback (bolt parses the body and reads the timestamp as a number first)."""

    @web.middleware
    async def gate(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        body = await request.read()  # aiohttp keeps it: bolt reads the same bytes
        if not _signed(secret, body, request.headers):
            log.warning(
                "refused a request from %s: bad or stale Slack signature "
                "(X-Slack-Signature, X-Slack-Request-Timestamp older than 5 minutes?)",
                request.remote,
            )
            return web.Response(status=401)
        problem = _malformed(body, request.content_type)
        if problem is not None:
            log.warning("refused a signed request from %s: %s", request.remote, problem)
            return web.Response(status=400)
        return await handler(request)

    return gate


def _signed(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    stamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        return False
    if abs(time.time() - int(stamp)) > SIGNATURE_WINDOW:
        return False
    base = b"v0:" + stamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def _malformed(body: bytes, content_type: str) -> str | None:
    """Why the body is not an event or a form Slack would send, or None."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "the body is not UTF-8"
    if content_type == "application/x-www-form-urlencoded" and not text.lstrip().startswith("{"):
        form = parse_qs(text)
        if "payload" not in form:
            return None  # a slash command: plain fields
        text = form["payload"][0]
    try:
        parsed = json.loads(text)
    except ValueError:
        return "the body is not valid JSON"
    if not isinstance(parsed, dict):
        return "the body is JSON but not an object"
    return None


async def run(
    app: App,
    tokens: SlackTokens,
    *,
    runtime_factory: RuntimeFactory,
    http: tuple[str, int] | None = None,
) -> None:
    """Run until Ctrl-C or SIGTERM; then finish the work in hand and disconnect."""
    stop = asyncio.Event()
    with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with SlackBot(app, tokens, runtime_factory=runtime_factory, http=http):
        with contextlib.suppress(asyncio.CancelledError):
            await stop.wait()
    log.info("stopped")
