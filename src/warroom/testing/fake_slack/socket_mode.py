"""Socket Mode: the websocket the app connects to, envelopes pushed, acknowledgements recorded."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

from aiohttp import WSMsgType, web


class SocketMode:
    """The server side of Socket Mode (`GET /link/`): pushes envelopes to the newest connection
    and records each acknowledgement with the time it came."""

    def __init__(self) -> None:
        self.acks: dict[str, dict[str, Any]] = {}
        self.ack_times: dict[str, float] = {}
        self.pushed_at: dict[str, float] = {}
        self._ids = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self._connected = asyncio.Event()
        self._ack_event = asyncio.Condition()

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close()

    async def wait_connected(self, timeout: float = 10) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout)

    async def wait_ack(self, envelope_id: str, timeout: float = 10) -> dict[str, Any]:
        async with self._ack_event:
            await asyncio.wait_for(
                self._ack_event.wait_for(lambda: envelope_id in self.acks), timeout
            )
        return self.acks[envelope_id]

    async def push(self, payload: dict[str, Any], *, kind: str, retry_attempt: int) -> str:
        """Send one envelope over the connection; returns its envelope_id."""
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

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
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
                if msg.type == WSMsgType.TEXT:
                    await self._ack(json.loads(msg.data))
        finally:
            self._sockets.remove(ws)
            if not self._sockets:
                self._connected.clear()
        return ws

    async def _ack(self, data: dict[str, Any]) -> None:
        envelope_id = data.get("envelope_id")
        if envelope_id:
            async with self._ack_event:
                self.acks[envelope_id] = data
                self.ack_times[envelope_id] = time.perf_counter()
                self._ack_event.notify_all()
