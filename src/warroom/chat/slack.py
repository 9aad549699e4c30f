"""Slack, on slack_bolt's async API: Socket Mode by default, the Events API over HTTP on request.

Translation only. Incoming: `message` (channels, DMs), `app_mention`, `reaction_added` and the
slash commands become `ChatMessage` / `Reaction` for the `Runtime`; bolt acknowledges every
envelope before our listener runs, so slow work never delays the ack. Outgoing: `SlackChat`
implements the `Chat` port with the Web API, with Retry-After honoured on HTTP 429 (slack_sdk's
retry handlers) and at most about one message per second per channel (a token bucket).
Slack's refusals become a `ChatError` that says what to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from warroom.app.runtime import Runtime
from warroom.app.service import App
from warroom.core.doc import ChannelRef, Doc, Mention
from warroom.ports import ChatError, ChatMessage, Reaction
from warroom.render import slack as render
from warroom.wiring import runtime_for

log = logging.getLogger(__name__)
_BOLT_LOG = logging.getLogger("warroom.chat.slack.bolt")
# bolt reads SLACK_BOT_TOKEN itself and warns that our client's token wins: it does, on purpose.
_BOLT_LOG.addFilter(lambda record: "will be unused" not in record.getMessage())

PLATFORM = "slack"
DEFAULT_API_URL = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"
# Message subtypes that are still a person writing; every other subtype (joins, edits, bots,
# topic changes) is not for us.
# The event types we listen to, and the subscriptions manifest.yml needs for each.
EVENTS = {
    "message": ("message.channels", "message.groups", "message.im"),
    "app_mention": ("app_mention",),
    "reaction_added": ("reaction_added",),
}
USER_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})
_LEADING_MENTION = re.compile(r"^\s*<@([A-Z0-9]+)(?:\|[^>]*)?>[\s:,]*")


def api_url() -> str:
    """SLACK_API_URL, the base of every Web API call (apps.connections.open included)."""
    url = os.environ.get("SLACK_API_URL") or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


def make_client(
    token: str | None, *, base_url: str, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    """A Web API client that waits out HTTP 429 (Retry-After) and retries lost connections."""
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        session=session,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=5),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


# -- errors --------------------------------------------------------------------------------------

_ERRORS: dict[str, tuple[str, str]] = {
    "channel_not_found": (
        "I can't find {where}, or can't see it (a private channel I am not in).",
        "check the channel name or ID (configuration, command), or invite the bot to the "
        "private channel",
    ),
    "not_in_channel": (
        "I am not a member of {where}. Invite me there with `/invite @{bot}`.",
        "invite the bot to {where} (/invite @{bot})",
    ),
    "is_archived": (
        "{where} is archived, so I can't act there.",
        "unarchive {where}, or point the incident or team at another channel",
    ),
    "missing_scope": (
        "My Slack app lacks the permission `{needed}` for this; ask whoever runs me to add it.",
        "add the OAuth scope `{needed}` to the Slack app (see manifest.yml) and reinstall it",
    ),
    "not_authed": ("My Slack token is missing.", "set SLACK_BOT_TOKEN"),
    "invalid_auth": ("My Slack token is not valid.", "check SLACK_BOT_TOKEN (xoxb-...)"),
    "account_inactive": ("My Slack token was revoked.", "reinstall the app and update the token"),
    "ratelimited": ("Slack is rate limiting me; try again in a minute.", "wait; lower the load"),
}


def chat_error(method: str, exc: SlackApiError, *, where: str, bot: str) -> ChatError:
    """A Slack refusal as a message for users and a fix for the operator's log."""
    data = exc.response.data if isinstance(exc.response.data, dict) else {}
    error = str(data.get("error") or "unknown_error")
    needed = str(data.get("needed") or "?")
    said, fix = _ERRORS.get(
        error, (f"Slack refused `{method}` ({error}).", f"see Slack's documentation of {method}")
    )
    values = {"where": where, "bot": bot, "needed": needed}
    message = said.format(**values)
    message = message[:1].upper() + message[1:]
    return ChatError(message, fix=f"{method}: {error}: " + fix.format(**values))


def _where(channel: str) -> str:
    """A channel as plain words: the message is escaped like any text."""
    if render.is_user_id(channel):
        return "our DM"
    return f"channel {channel}" if render.is_channel_id(channel) else f"#{channel}"


# -- outgoing ------------------------------------------------------------------------------------


class SlackDirectory:
    """Users' and channels' names and IDs, listed from Slack and kept `ttl` seconds.

    One mapping: `U123` -> `hormoz`, `@hormoz` -> `U123`, `C123` -> `support`,
    `#support` -> `C123`. A name not found refreshes the lists, at most every 30 seconds."""

    MIN_REFRESH = 30.0

    def __init__(
        self, chat: SlackChat, *, ttl: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.chat = chat
        self.ttl = ttl
        self.clock = clock
        self._names: dict[str, str] = {}
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()

    async def names(self, wanted: set[str]) -> dict[str, str]:
        age = self.clock() - self._loaded_at
        missing = any(key not in self._names for key in wanted)
        if age > self.ttl or (missing and age > min(self.MIN_REFRESH, self.ttl)):
            async with self._lock:
                if self._loaded_at < self.clock() - min(self.MIN_REFRESH, self.ttl):
                    await self._load()
        return self._names

    def learn_channel(self, channel_id: str, name: str) -> None:
        """A channel we just created or found: usable by name at once, without a new listing
        (which may be 30 seconds away)."""
        self._names[channel_id] = name
        self._names["#" + name] = channel_id

    async def _load(self) -> None:
        names: dict[str, str] = {}
        try:
            for user in await self._list("users.list", "members"):
                if user.get("id") and user.get("name") and not user.get("deleted"):
                    names[user["id"]] = user["name"]
                    names["@" + user["name"]] = user["id"]
            for channel in await self._list(
                "conversations.list", "channels", types="public_channel,private_channel"
            ):
                if channel.get("id") and channel.get("name"):
                    names[channel["id"]] = channel["name"]
                    names["#" + channel["name"]] = channel["id"]
        except ChatError as exc:
            log.warning("cannot list Slack users and channels: %s Fix: %s", exc, exc.fix)
        else:
            self._names = names
        self._loaded_at = self.clock()

    async def _list(self, method: str, key: str, **args: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        cursor = ""
        while True:
            data = await self.chat.call(method, limit=1000, cursor=cursor or None, **args)
            found.extend(data.get(key) or [])
            cursor = str((data.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                return found


_PLAIN_USER = re.compile(r"(?<![<\w])@([a-z0-9][a-z0-9._\-]{0,79})")


async def link_typed_users(text: str, directory: SlackDirectory) -> str:
    """`@hormoz` typed as plain text (a slash command, an API client) -> `<@U123>` when Slack
    knows the name, as Slack's own composer does."""
    wanted = {"@" + m[1] for m in _PLAIN_USER.finditer(text)} - {"@here", "@channel", "@everyone"}
    if not wanted:
        return text
    names = await directory.names(wanted)
    return _PLAIN_USER.sub(
        lambda m: f"<@{names['@' + m[1]]}>" if "@" + m[1] in names else m[0], text
    )


@dataclass
class _Bucket:
    tokens: float
    at: float


class SlackChat:
    """The Chat port on Slack's Web API."""

    platform = PLATFORM

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        bot_name: str = "warroom",
        posts_per_second: float = 1.0,
        burst: int = 3,
        cache_seconds: float = 600.0,
    ) -> None:
        self.client = client
        self.bot_name = bot_name
        self.rate = posts_per_second
        self.burst = burst
        self._buckets: dict[str, _Bucket] = {}
        self.directory = SlackDirectory(self, ttl=cache_seconds)

    async def _names(self, doc: Doc, *channels: str) -> Mapping[str, str]:
        """The names and IDs this doc needs: IDs in users' text, names of mentions/channels."""
        wanted = render.typed_ids(doc)
        for line in doc.lines:
            for seg in line:
                if isinstance(seg, Mention) and not render.is_user_id(seg.user):
                    wanted.add("@" + seg.user)
                elif isinstance(seg, ChannelRef) and not render.is_channel_id(seg.channel):
                    wanted.add("#" + seg.channel)
        # Names only: channel IDs, and user IDs (a DM), need no lookup.
        wanted.update(
            "#" + c for c in channels if not (render.is_channel_id(c) or render.is_user_id(c))
        )
        if not wanted:
            return render.NO_NAMES
        return await self.directory.names(wanted)

    async def call(self, method: str, **args: Any) -> dict[str, Any]:
        return await self._call(method, **args)

    async def _call(self, method: str, *, where: str = "", **args: Any) -> dict[str, Any]:
        call: Callable[..., Awaitable[Any]] = getattr(self.client, method.replace(".", "_"))
        try:
            response = await call(**args)
        except SlackApiError as exc:
            raise chat_error(
                method, exc, where=where or "that channel", bot=self.bot_name
            ) from None
        data: dict[str, Any] = response.data if isinstance(response.data, dict) else {}
        return data

    async def _pace(self, channel: str) -> None:
        """A token bucket per channel: `burst` posts at once, then `posts_per_second`.
        The slot is reserved before waiting, so concurrent posts queue up in order."""
        now = time.monotonic()
        bucket = self._buckets.get(channel)
        if bucket is None:
            if len(self._buckets) > 10_000:
                self._buckets = {k: b for k, b in self._buckets.items() if b.tokens < self.burst}
            bucket = self._buckets[channel] = _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.rate) - 1
        bucket.at = now
        if bucket.tokens < 0:
            await asyncio.sleep(-bucket.tokens / self.rate)

    async def post(
        self, *, channel: str, doc: Doc, thread: str | None = None, only_to: str | None = None
    ) -> str | None:
        names = await self._names(doc, channel)
        where = _where(channel)
        channel = names.get("#" + channel, channel)  # a team's channel by name -> its ID
        text = render.mrkdwn(doc, names)
        args: dict[str, Any] = {"channel": channel, "text": text}
        blocks = render.blocks(doc, names)
        if blocks is not None:
            args["blocks"] = blocks
        if thread:
            args["thread_ts"] = thread
        if only_to:
            data = await self._call(
                "chat.postEphemeral", where=_where(channel), user=only_to, **args
            )
            return str(data.get("message_ts") or "") or None
        await self._pace(channel)
        data = await self._call("chat.postMessage", where=where, unfurl_links=False, **args)
        return str(data.get("ts") or "") or None

    async def direct(self, *, user: str, doc: Doc) -> str | None:
        # Posting to a user ID lands in the app's DM with them.
        return await self.post(channel=user, doc=doc)

    async def set_topic(self, *, channel: str, topic: Doc | None) -> None:
        names = await self._names(topic, channel) if topic is not None else render.NO_NAMES
        text = render.topic(topic, names) if topic is not None else ""
        channel = names.get("#" + channel, channel)
        await self._call(
            "conversations.setTopic", where=_where(channel), channel=channel, topic=text
        )

    async def presence(self, *, user: str) -> str:
        """`active` or `away` from users.getPresence (about 50 calls a minute: the rotation
        caches answers and asks only for the head of its queue)."""
        user = user.lstrip("@")
        if not render.is_user_id(user):  # a roster handle: its user ID
            user = (await self.directory.names({"@" + user})).get("@" + user, user)
        data = await self._call("users.getPresence", where="presence", user=user)
        return str(data.get("presence") or "away")

    async def create_channel(self, *, name: str) -> str:
        name = name.lstrip("#").lower()
        try:
            data = await self._call("conversations.create", where=f"#{name}", name=name)
        except ChatError as exc:
            if "name_taken" not in exc.fix:
                raise
            found = await self.find_channel(name)
            if found is None:
                raise
            self.directory.learn_channel(found, name)
            return found
        channel_id = str(data["channel"]["id"])
        self.directory.learn_channel(channel_id, name)  # the war room is bound by its name
        return channel_id

    async def find_channel(self, name: str) -> str | None:
        """The ID of the channel called `name` (public, or private with the bot in it)."""
        cursor = ""
        while True:
            data = await self._call(
                "conversations.list",
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=1000,
                cursor=cursor or None,
            )
            for channel in data.get("channels", []):
                if channel.get("name") == name:
                    return str(channel["id"])
            cursor = str((data.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                return None

    async def invite(self, *, channel: str, users: list[str]) -> None:
        """`channel` and `users` by ID or by name (`!ir page` invites roster handles into the
        war room it just created by name)."""
        if not users:
            return
        handles = [u.lstrip("@") for u in users]
        wanted = {"@" + h for h in handles if not render.is_user_id(h)}
        channel = channel.lstrip("#")
        if not render.is_channel_id(channel):
            wanted.add("#" + channel)
        names = await self.directory.names(wanted) if wanted else {}
        channel = names.get("#" + channel, channel)
        ids = list(dict.fromkeys(names.get("@" + h, h) for h in handles))
        try:
            await self._call(
                "conversations.invite",
                where=_where(channel),
                channel=channel,
                users=",".join(ids),
            )
        except ChatError as exc:
            if "already_in_channel" not in exc.fix:
                raise


# -- incoming ------------------------------------------------------------------------------------


def to_message(event: dict[str, Any], *, bot_user: str | None) -> ChatMessage | None:
    """A Slack `message` / `app_mention` event as a ChatMessage; None when it is not a person
    writing (the bot itself, other bots, joins, edits, deletions)."""
    if event.get("subtype") not in USER_SUBTYPES or event.get("bot_id"):
        return None
    user = event.get("user")
    channel = event.get("channel")
    ts = event.get("ts")
    if not user or not channel or not ts or user == bot_user:
        return None
    text = str(event.get("text") or "")
    mentioned = False
    match = _LEADING_MENTION.match(text)
    if match and bot_user and match[1] == bot_user:
        text, mentioned = text[match.end() :], True
    is_dm = event.get("channel_type") == "im" or str(channel).startswith("D")
    return ChatMessage(
        platform=PLATFORM,
        user=str(user),
        channel=str(channel),
        text=text,
        is_dm=is_dm,
        mentioned=mentioned,
        ref=str(ts),
        thread=event.get("thread_ts"),
        # A message comes as `message` and again as `app_mention`, each with its own
        # event_id; both are this message, which must be acted on once.
        event_id=f"slack:{channel}:{ts}",
    )


def slash_message(command: dict[str, Any], mapping: Mapping[str, str]) -> ChatMessage | None:
    """`/incident start me ...` -> the command `incident start me ...`, addressed to us."""
    name = str(command.get("command") or "")
    if name not in mapping or not command.get("user_id") or not command.get("channel_id"):
        return None
    text = " ".join(p for p in (mapping[name], str(command.get("text") or "").strip()) if p)
    channel = str(command["channel_id"])
    return ChatMessage(
        platform=PLATFORM,
        user=str(command["user_id"]),
        channel=channel,
        text=text or "help",
        is_dm=channel.startswith("D"),
        mentioned=True,
    )


def to_reaction(event: dict[str, Any], *, event_id: str | None) -> Reaction | None:
    item = event.get("item") or {}
    if item.get("type") != "message" or not event.get("user"):
        return None
    return Reaction(
        platform=PLATFORM,
        user=str(event["user"]),
        channel=str(item.get("channel", "")),
        emoji=str(event.get("reaction", "")),
        message_ref=str(item.get("ts", "")),
        event_id=f"slack:{event_id}" if event_id else None,
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
    bolt = AsyncApp(
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
        logger=_BOLT_LOG,
    )

    async def dispatch(msg: ChatMessage | None) -> None:
        """Hand a message to the runtime, with plain @names typed by users linked to users."""
        try:
            if msg is not None:
                if directory is not None:
                    msg = replace(msg, text=await link_typed_users(msg.text, directory))
                await runtime.on_message(msg)
        finally:
            if handled is not None:
                await handled()

    async def on_message(event: dict[str, Any], context: Any) -> None:
        await dispatch(to_message(event, bot_user=context.bot_user_id))

    async def on_reaction(event: dict[str, Any], body: dict[str, Any], context: Any) -> None:
        try:
            reaction = to_reaction(event, event_id=body.get("event_id"))
            if reaction is not None and reaction.user != context.bot_user_id:
                await runtime.on_reaction(reaction)
        finally:
            if handled is not None:
                await handled()

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


# -- running -------------------------------------------------------------------------------------


@dataclass
class SlackTokens:
    bot: str
    app: str | None = None
    signing_secret: str | None = None

    @staticmethod
    def from_env() -> SlackTokens | None:
        bot = os.environ.get("SLACK_BOT_TOKEN")
        if not bot:
            return None
        return SlackTokens(
            bot=bot,
            app=os.environ.get("SLACK_APP_TOKEN") or None,
            signing_secret=os.environ.get("SLACK_SIGNING_SECRET") or None,
        )


class SlackBot:
    """The whole Slack side of one process: client, chat, runtime, bolt app, and a Socket Mode
    connection or an HTTP server. `async with SlackBot(...) as bot:` starts and stops it."""

    def __init__(
        self,
        app: App,
        tokens: SlackTokens,
        *,
        base_url: str | None = None,
        http: tuple[str, int] | None = None,
    ) -> None:
        self.app = app
        self.tokens = tokens
        self.base_url = base_url or api_url()
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
        self.chat = SlackChat(
            client,
            bot_name=settings.bot.name,
            posts_per_second=settings.slack.posts_per_second,
            burst=settings.slack.burst,
            cache_seconds=settings.slack.cache_seconds,
        )
        wiring: dict[str, Any] = {
            "handled": self._count_handled,
            "directory": self.chat.directory,
            "slash_commands": settings.slack.slash_commands,
        }
        self._stack = contextlib.AsyncExitStack()
        self.runtime = await self._stack.enter_async_context(
            runtime_for(self.app, {PLATFORM: self.chat}, presence=self.chat)
        )
        await self.runtime.start()
        if self.http is not None:
            if not self.tokens.signing_secret:
                raise ChatError("HTTP mode needs SLACK_SIGNING_SECRET")
            self.bolt = build_bolt_app(
                self.runtime, client, signing_secret=self.tokens.signing_secret, **wiring
            )
            await self._serve_http(*self.http)
        else:
            if not self.tokens.app:
                raise ChatError("Socket Mode needs SLACK_APP_TOKEN (xapp-...)")
            self.bolt = build_bolt_app(self.runtime, client, **wiring)
            self._socket = AsyncSocketModeHandler(self.bolt, self.tokens.app, web_client=client)
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
            log.info("connected to Slack in Socket Mode (%s)", self.base_url)

    async def _serve_http(self, host: str, port: int) -> None:
        assert self.bolt is not None
        server = self.bolt.server(port=port, path=EVENTS_PATH, host=host)
        server.web_app.middlewares.append(_log_refusals)
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


@web.middleware
async def _log_refusals(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    response = await handler(request)
    if response.status == 401:
        log.warning(
            "refused a request from %s: bad or stale Slack signature "
            "(X-Slack-Signature, X-Slack-Request-Timestamp older than 5 minutes?)",
            request.remote,
        )
    return response


async def run(app: App, tokens: SlackTokens, *, http: tuple[str, int] | None = None) -> None:
    """Run until Ctrl-C or SIGTERM; then finish the work in hand and disconnect."""
    stop = asyncio.Event()
    with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with SlackBot(app, tokens, http=http):
        with contextlib.suppress(asyncio.CancelledError):
            await stop.wait()
    log.info("stopped")
