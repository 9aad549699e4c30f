"""`FakeSlack`: the Web API and Socket Mode on 127.0.0.1, with controls for tests."""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from warroom.testing.fake_slack import payloads, scopes
from warroom.testing.fake_slack.methods import METHODS
from warroom.testing.fake_slack.socket_mode import SocketMode
from warroom.testing.fake_slack.workspace import Call, SlackError, Workspace


@dataclass
class _Failure:
    error: str
    times: int
    extra: dict[str, Any]


class FakeSlack(Workspace):
    """The fake server; use it as an async context manager (it binds a free port)."""

    def __init__(
        self,
        *,
        users: Mapping[str, str] | None = None,
        scopes: Iterable[str] | None = None,
        page_size: int | None = None,
    ) -> None:
        # users: ID -> name, for users.info / users.list; page_size: the most items one page
        # of a listing holds (Slack may answer fewer than `limit`), to exercise pagination.
        super().__init__(
            dict(users or {}), None if scopes is None else frozenset(scopes), page_size
        )
        self.calls: list[Call] = []
        self.socket_mode = SocketMode()
        self.acks = self.socket_mode.acks
        self.ack_times = self.socket_mode.ack_times
        self.pushed_at = self.socket_mode.pushed_at
        self._call_event = asyncio.Condition()
        self._failures: dict[str, list[_Failure]] = defaultdict(list)
        self._rate_limits: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self._runner: web.AppRunner | None = None

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
        app.router.add_get("/link/", self.socket_mode.handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def close(self) -> None:
        await self.socket_mode.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def api_url(self) -> str:
        """The base URL of the Web API, as SLACK_API_URL takes it."""
        return f"http://127.0.0.1:{self.port}/api/"

    # -- test controls ------------------------------------------------------------------------

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
        await self.socket_mode.wait_connected(timeout)

    async def wait_calls(self, method: str, count: int, timeout: float = 10) -> list[Call]:
        """Wait until `method` was called successfully at least `count` times."""

        def done() -> bool:
            return len([c for c in self.called(method) if c.status == 200]) >= count

        async with self._call_event:
            await asyncio.wait_for(self._call_event.wait_for(done), timeout)
        return self.called(method)

    async def wait_ack(self, envelope_id: str, timeout: float = 10) -> dict[str, Any]:
        return await self.socket_mode.wait_ack(envelope_id, timeout)

    # -- events -------------------------------------------------------------------------------

    def message_event(self, user: str, channel: str, text: str, **kw: Any) -> dict[str, Any]:
        """An Events API `event_callback` body with a `message` event (`payloads`)."""
        return payloads.message_event(self, user, channel, text, **kw)

    def callback(self, event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
        return payloads.callback(self, event, event_id=event_id)

    def slash_payload(self, command: str, text: str, *, user: str, channel: str) -> dict[str, Any]:
        return payloads.slash_payload(self, command, text, user=user, channel=channel)

    signed_headers = staticmethod(payloads.signed_headers)

    async def push(
        self, payload: dict[str, Any], *, kind: str = "events_api", retry_attempt: int = 0
    ) -> str:
        """Send one envelope over the Socket Mode connection; returns its envelope_id."""
        return await self.socket_mode.push(payload, kind=kind, retry_attempt=retry_attempt)

    async def message(self, user: str, channel: str, text: str, **kw: Any) -> str:
        return await self.push(self.message_event(user, channel, text, **kw))

    # -- the Web API --------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args = await _arguments(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth else args.get("token")
        call = Call(method, args, time.perf_counter(), token)
        limited = self._rate_limited(method)
        if limited is not None:
            call.status = 429
            await self._record(call)
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(limited)},
            )
        try:
            self._injected_failure(method)
            if self.scopes is not None:
                wanted = scopes.needed(method, args, self.kind_of)
                self.scopes_used.update(scopes.check(self.scopes, wanted))
            handler = METHODS.get(method)
            if handler is None:
                raise SlackError("unknown_method")
            body = handler(self, args)
        except SlackError as exc:
            call.status = 400  # Slack answers 200; the status here only marks the call failed
            await self._record(call)
            return web.json_response({"ok": False, "error": exc.error, **exc.extra})
        await self._record(call)
        return web.json_response(body)

    def _rate_limited(self, method: str) -> int | None:
        """Retry-After if this call of `method` is to be rate limited."""
        limits = self._rate_limits.get(method)
        if not limits:
            return None
        retry_after, times = limits[0]
        if times <= 1:
            limits.pop(0)
        else:
            limits[0] = (retry_after, times - 1)
        return retry_after

    def _injected_failure(self, method: str) -> None:
        failures = self._failures.get(method)
        if failures:
            failure = failures[0]
            failure.times -= 1
            if failure.times <= 0:
                failures.pop(0)
            raise SlackError(failure.error, **failure.extra)

    async def _record(self, call: Call) -> None:
        async with self._call_event:
            self.calls.append(call)
            self._call_event.notify_all()


async def _arguments(request: web.Request) -> dict[str, Any]:
    """A call's arguments: query string, then a JSON or form body; blocks decoded."""
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
    return args
