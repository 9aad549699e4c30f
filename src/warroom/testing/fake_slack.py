"""A fake Slack on 127.0.0.1, so tests drive the real slack_bolt and slack_sdk over real sockets.

It serves the Web API (`POST /api/<method>`, recording every call and answering with Slack's
response shapes) and the Socket Mode websocket (`apps.connections.open` hands out
`ws://127.0.0.1:PORT/link/...`; `push_event` sends `events_api` envelopes and `acks` records
the envelope acknowledgements). For the Events API over HTTP, `signed_request` builds the
headers Slack signs requests with.

    async with FakeSlack() as slack:
        bot = ... SlackChat(client_for(slack.api_url)) ...
        envelope = await slack.message("U1", "C1", "spy incident start me checkout is down")
        await slack.wait_ack(envelope)
        assert "chat.postMessage" in slack.methods()

Channels are created on demand: any ID starting with C, G or D exists, and channels are also
known by name (`#support` -> an ID). Errors and rate limits are injected per method with `fail`
and `rate_limit`.

`FakeSlack(scopes=...)` grants the bot token those OAuth scopes and no others: a method called
without the scope Slack's method page lists for it (for that kind of conversation) answers
`missing_scope` with `needed` and `provided`, as Slack does, and `scopes_used` collects the
granted scopes that calls needed. Without `scopes`, every method is allowed.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

BOT_USER = "UBOT"
BOT_ID = "BBOT"
TEAM = "T0001"


# The bot-token scopes of each Web API method the bot calls, as Slack's method pages list them:
# any one of a tuple will do (the first is what `missing_scope` names as `needed`). Methods
# whose scope depends on the kind of conversation are keyed by kind.
_SCOPES: dict[str, tuple[str, ...]] = {
    "chat.postMessage": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "users.list": ("users:read",),
    "users.info": ("users:read",),
    "users.getPresence": ("users:read",),
}
_SCOPES_BY_KIND: dict[str, dict[str, tuple[str, ...]]] = {
    "conversations.setTopic": {
        "public": ("channels:manage", "channels:write.topic"),
        "private": ("groups:write", "groups:write.topic"),
        "im": ("im:write", "im:write.topic"),
    },
    "conversations.invite": {
        "public": ("channels:manage", "channels:write.invites"),
        "private": ("groups:write", "groups:write.invites"),
    },
    "conversations.create": {"public": ("channels:manage",), "private": ("groups:write",)},
    "conversations.info": {
        "public": ("channels:read",),
        "private": ("groups:read",),
        "im": ("im:read",),
    },
}
# conversations.list needs the scope of every type of conversation it is asked to list.
_LIST_TYPES = {
    "public_channel": ("channels:read",),
    "private_channel": ("groups:read",),
    "im": ("im:read",),
    "mpim": ("mpim:read",),
}
# Event subscriptions and the scope each needs (Slack's events reference).
EVENT_SCOPES = {
    "app_mention": "app_mentions:read",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
    "message.mpim": "mpim:history",
    "reaction_added": "reactions:read",
}


@dataclass
class Call:
    """One Web API call as the fake received it."""

    method: str
    args: dict[str, Any]
    at: float
    token: str | None = None
    status: int = 200


@dataclass
class Channel:
    id: str
    name: str
    topic: str = ""
    members: set[str] = field(default_factory=set)
    archived: bool = False
    is_private: bool = False


@dataclass
class _Failure:
    error: str
    times: int
    extra: dict[str, Any]


class FakeSlack:
    """The fake server; use it as an async context manager (it binds a free port)."""

    def __init__(
        self, *, users: Mapping[str, str] | None = None, scopes: Iterable[str] | None = None
    ) -> None:
        # users: ID -> name, for users.info / users.list
        self.users: dict[str, str] = dict(users or {})
        self.scopes = None if scopes is None else frozenset(scopes)
        self.scopes_used: set[str] = set()
        self.presences: dict[str, str] = {}  # user ID -> "away"; everyone else is "active"
        self.calls: list[Call] = []
        self.channels: dict[str, Channel] = {}
        self.acks: dict[str, dict[str, Any]] = {}
        self.ack_times: dict[str, float] = {}
        self.pushed_at: dict[str, float] = {}
        self.port = 0
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self._connected = asyncio.Event()
        self._ack_event = asyncio.Condition()
        self._call_event = asyncio.Condition()
        self._failures: dict[str, list[_Failure]] = defaultdict(list)
        self._rate_limits: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self._runner: web.AppRunner | None = None
        self.connections_opened = 0

    # -- life cycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> FakeSlack:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # users.list, conversations.list
        app.router.add_get("/link/", self._socket)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def api_url(self) -> str:
        """The base URL of the Web API, as SLACK_API_URL takes it."""
        return f"http://127.0.0.1:{self.port}/api/"

    # -- test controls ------------------------------------------------------------------------

    def channel(self, id_: str, name: str | None = None, **kw: Any) -> Channel:
        """The channel `id_`, created (named `name`) if it does not exist yet."""
        found = self.channels.get(id_)
        if found is None:
            found = Channel(id_, name or id_.lower(), **kw)
            self.channels[id_] = found
        return found

    def fail(self, method: str, error: str, *, times: int = 1, **extra: Any) -> None:
        """The next `times` calls of `method` answer `{"ok": false, "error": error, **extra}`."""
        self._failures[method].append(_Failure(error, times, extra))

    def rate_limit(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        """The next `times` calls of `method` answer HTTP 429 with `Retry-After`."""
        self._rate_limits[method].append((retry_after, times))

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def posts(self, channel: str | None = None) -> list[str]:
        """Texts of successful chat.postMessage calls, optionally in one channel."""
        return [
            c.args.get("text", "")
            for c in self.calls
            if c.method == "chat.postMessage"
            and c.status == 200
            and (channel is None or c.args.get("channel") == channel)
        ]

    async def wait_connected(self, timeout: float = 10) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout)

    async def wait_calls(self, method: str, count: int, timeout: float = 10) -> list[Call]:
        """Wait until `method` was called successfully at least `count` times."""

        def done() -> bool:
            return len([c for c in self.called(method) if c.status == 200]) >= count

        async with self._call_event:
            await asyncio.wait_for(self._call_event.wait_for(done), timeout)
        return self.called(method)

    async def wait_ack(self, envelope_id: str, timeout: float = 10) -> dict[str, Any]:
        async with self._ack_event:
            await asyncio.wait_for(
                self._ack_event.wait_for(lambda: envelope_id in self.acks), timeout
            )
        return self.acks[envelope_id]

    # -- events -------------------------------------------------------------------------------

    def next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def message_event(
        self,
        user: str,
        channel: str,
        text: str,
        *,
        ts: str | None = None,
        thread_ts: str | None = None,
        subtype: str | None = None,
        bot_id: str | None = None,
    ) -> dict[str, Any]:
        """An Events API `event_callback` body with a `message` event."""
        event: dict[str, Any] = {
            "type": "message",
            "user": user,
            "text": text,
            "ts": ts or self.next_ts(),
            "channel": channel,
            "channel_type": "im" if channel.startswith("D") else "channel",
            "event_ts": ts or "",
        }
        event["event_ts"] = event["ts"]
        if thread_ts:
            event["thread_ts"] = thread_ts
        if subtype:
            event["subtype"] = subtype
        if bot_id:
            event["bot_id"] = bot_id
        if not channel.startswith("D"):
            self.channel(channel).members.add(user)
        return self.callback(event)

    def callback(self, event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
        return {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "api_app_id": "A0001",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "team_id": TEAM,
                    "user_id": BOT_USER,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
        }

    async def push(
        self, payload: dict[str, Any], *, kind: str = "events_api", retry_attempt: int = 0
    ) -> str:
        """Send one envelope over the Socket Mode connection; returns its envelope_id."""
        await self.wait_connected()
        envelope_id = f"env-{next(self._ids)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "accepts_response_payload": kind != "events_api",
            "payload": payload,
            "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
        }
        ws = self._sockets[-1]
        self.pushed_at[envelope_id] = time.perf_counter()
        await ws.send_str(json.dumps(envelope))
        return envelope_id

    async def message(self, user: str, channel: str, text: str, **kw: Any) -> str:
        return await self.push(self.message_event(user, channel, text, **kw))

    def slash_payload(self, command: str, text: str, *, user: str, channel: str) -> dict[str, Any]:
        return {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "team_domain": "example",
            "channel_id": channel,
            "channel_name": self.channel(channel).name,
            "user_id": user,
            "user_name": self.users.get(user, user.lower()),
            "command": command,
            "text": text,
            "api_app_id": "A0001",
            "response_url": f"http://127.0.0.1:{self.port}/response",
            "trigger_id": f"trigger-{next(self._ids)}",
        }

    # -- HTTP (Events API) --------------------------------------------------------------------

    @staticmethod
    def signed_headers(
        body: str, secret: str, *, timestamp: int | None = None, retry_num: int | None = None
    ) -> dict[str, str]:
        """The headers Slack sends with a request: the v0 signature of `body` at `timestamp`."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        base = f"v0:{ts}:{body}".encode()
        digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
        headers = {
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": f"v0={digest}",
            "Content-Type": "application/json",
        }
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        return headers

    # -- server side --------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": len(self._sockets),
                    "debug_info": {"host": "fake-slack", "approximate_connection_time": 3600},
                    "connection_info": {"app_id": "A0001"},
                }
            )
        )
        self._connected.set()
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                data = json.loads(msg.data)
                envelope_id = data.get("envelope_id")
                if envelope_id:
                    async with self._ack_event:
                        self.acks[envelope_id] = data
                        self.ack_times[envelope_id] = time.perf_counter()
                        self._ack_event.notify_all()
        finally:
            self._sockets.remove(ws)
            if not self._sockets:
                self._connected.clear()
        return ws

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        raw = await request.text()
        args: dict[str, Any]
        if request.content_type == "application/json" and raw:
            args = json.loads(raw)
        else:
            args = dict(parse_qsl(raw, keep_blank_values=True))
        args = {**dict(request.query), **args}
        for key in ("blocks", "attachments"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth else args.get("token")
        call = Call(method, args, time.perf_counter(), token)
        limits = self._rate_limits.get(method)
        if limits:
            retry_after, times = limits[0]
            if times <= 1:
                limits.pop(0)
            else:
                limits[0] = (retry_after, times - 1)
            call.status = 429
            await self._record(call)
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(retry_after)},
            )
        failures = self._failures.get(method)
        if failures:
            failure = failures[0]
            failure.times -= 1
            if failure.times <= 0:
                failures.pop(0)
            call.status = 400  # Slack answers 200; the status here only marks the call failed
            await self._record(call)
            return web.json_response({"ok": False, "error": failure.error, **failure.extra})
        try:
            self._check_scopes(method, args)
            body = self._answer(method, args)
        except _SlackError as exc:
            call.status = 400
            await self._record(call)
            return web.json_response({"ok": False, "error": exc.error, **exc.extra})
        await self._record(call)
        return web.json_response(body)

    async def _record(self, call: Call) -> None:
        async with self._call_event:
            self.calls.append(call)
            self._call_event.notify_all()

    def _by_ref(self, ref: str) -> Channel:
        """A channel by ID (created on demand) or by name (`support`, `#support`)."""
        ref = ref.lstrip("#")
        if ref[:1] in ("U", "W") and ref in self.users:  # a user ID: the app's DM with them
            return self.channel("D" + ref, "dm-" + self.users[ref])
        if ref[:1] in ("C", "G", "D") and ref[1:].isalnum() and ref.upper() == ref:
            return self.channel(ref)
        found = self._named(ref)
        if found is None:
            raise _SlackError("channel_not_found")
        return found

    def _named(self, ref: str) -> Channel | None:
        """A known channel by ID or by name, creating nothing."""
        return self.channels.get(ref) or next(
            (c for c in self.channels.values() if c.name == ref), None
        )

    def _needed(self, method: str, args: dict[str, Any]) -> list[tuple[str, ...]]:
        """The scopes `method` needs with these arguments: one of each tuple."""
        if method == "conversations.list":
            types = str(args.get("types") or "public_channel").split(",")
            return [_LIST_TYPES[t] for t in types if t in _LIST_TYPES]
        if method in _SCOPES:
            return [_SCOPES[method]]
        by_kind = _SCOPES_BY_KIND.get(method)
        if by_kind is None:
            return []  # auth.test; apps.connections.open takes the app-level token
        if method == "conversations.create":
            private = str(args.get("is_private", "")).lower() in ("true", "1")
            kind = "private" if private else "public"
        else:
            ref = str(args.get("channel", "")).lstrip("#")
            channel = self._named(ref)
            if ref[:1] in ("D", "U", "W"):
                kind = "im"
            else:
                kind = "private" if channel is not None and channel.is_private else "public"
        return [by_kind[kind]] if kind in by_kind else []

    def _check_scopes(self, method: str, args: dict[str, Any]) -> None:
        if self.scopes is None:
            return
        for alternatives in self._needed(method, args):
            granted = self.scopes.intersection(alternatives)
            if not granted:
                raise _SlackError(
                    "missing_scope",
                    needed=alternatives[0],
                    provided=",".join(sorted(self.scopes)),
                )
            self.scopes_used.update(granted)

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://example.slack.com/",
                "team": "Example",
                "user": "warroom",
                "team_id": TEAM,
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "apps.connections.open":
            self.connections_opened += 1
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link/?ticket=t{self.port}"}
        if method == "chat.postMessage":
            channel = self._by_ref(str(args.get("channel", "")))
            if channel.archived:
                raise _SlackError("is_archived")
            ts = self.next_ts()
            message = {"type": "message", "text": args.get("text", ""), "user": BOT_USER, "ts": ts}
            if args.get("thread_ts"):
                message["thread_ts"] = args["thread_ts"]
            return {"ok": True, "channel": channel.id, "ts": ts, "message": message}
        if method == "chat.postEphemeral":
            self._by_ref(str(args.get("channel", "")))
            return {"ok": True, "message_ts": self.next_ts()}
        if method == "conversations.setTopic":
            channel = self._by_ref(str(args.get("channel", "")))
            channel.topic = str(args.get("topic", ""))
            return {"ok": True, "channel": self._info(channel)}
        if method == "conversations.create":
            name = str(args.get("name", ""))
            if any(c.name == name for c in self.channels.values()):
                raise _SlackError("name_taken")
            created = self.channel(f"C{next(self._ids):08d}X", name)
            created.members.add(BOT_USER)
            return {"ok": True, "channel": self._info(created)}
        if method == "conversations.invite":
            channel = self._by_ref(str(args.get("channel", "")))
            users = [u for u in str(args.get("users", "")).split(",") if u]
            if all(u in channel.members for u in users):
                raise _SlackError("already_in_channel")
            channel.members.update(users)
            return {"ok": True, "channel": self._info(channel)}
        if method == "conversations.list":
            return {
                "ok": True,
                "channels": [self._info(c) for c in self.channels.values()],
                "response_metadata": {"next_cursor": ""},
            }
        if method == "conversations.info":
            return {"ok": True, "channel": self._info(self._by_ref(str(args.get("channel", ""))))}
        if method == "users.list":
            members = [{"id": i, "name": n, "deleted": False} for i, n in self.users.items()]
            return {"ok": True, "members": members, "response_metadata": {"next_cursor": ""}}
        if method == "users.getPresence":
            user = str(args.get("user", ""))
            if user not in self.users:
                raise _SlackError("user_not_found")
            return {"ok": True, "presence": self.presences.get(user, "active")}
        if method == "users.info":
            user = str(args.get("user", ""))
            if user not in self.users:
                raise _SlackError("user_not_found")
            return {"ok": True, "user": {"id": user, "name": self.users[user]}}
        raise _SlackError("unknown_method")

    @staticmethod
    def _info(channel: Channel) -> dict[str, Any]:
        return {
            "id": channel.id,
            "name": channel.name,
            "is_channel": not channel.is_private,
            "is_private": channel.is_private,
            "is_archived": channel.archived,
            "topic": {"value": channel.topic},
        }


class _SlackError(Exception):
    def __init__(self, error: str, **extra: str) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra
