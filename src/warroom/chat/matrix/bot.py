"""The Matrix side of one process: a /sync loop in, the runtime, and the chat out.

The sync token is stored in the database after each batch: a restart goes on where it stopped,
neither replaying history nor missing what was said while it was down; each event is acted on
once by its event ID (the app's `processed_events`), also across replicas. What was said in a
room before the bot joined is history, not commands. Invitations are accepted from the allowed
servers and declined from others; encrypted rooms are told the bot cannot read them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import aiohttp
import nio

from warroom.app.runtime import Runtime
from warroom.app.service import App
from warroom.chat.factory import RuntimeFactory
from warroom.chat.matrix.client import (
    PLATFORM,
    MatrixChat,
    MatrixSettings,
    make_client,
    refusal,
    server_of,
)
from warroom.chat.matrix.events import to_message, to_reaction
from warroom.core.doc import Doc
from warroom.ports import ChatError
from warroom.render import matrix as render

log = logging.getLogger(__name__)

SYNC_TIMEOUT_MS = 30_000
TIMELINE_LIMIT = 100  # events per room per sync; a longer gap is paged back
GAP_MARGIN_MS = 600_000  # the bot's and the homeserver's clocks may be minutes apart
ENCRYPTED_NOTICE = (
    "🔒 This room is end-to-end encrypted and I cannot read encrypted messages: nothing said "
    "here reaches me. Talk to me in an unencrypted room, or in a direct message without "
    "encryption."
)


class MatrixBot:
    """The whole Matrix side of one process: the client, the chat, the runtime and the sync
    loop. `async with MatrixBot(...) as bot:` starts and stops it."""

    def __init__(
        self, app: App, settings: MatrixSettings, *, runtime_factory: RuntimeFactory
    ) -> None:
        self.app = app
        self.settings = settings
        self.runtime_factory = runtime_factory
        self.client = make_client(settings)
        self.chat = MatrixChat(self.client, settings)
        self.runtime: Runtime | None = None
        self._stack: contextlib.AsyncExitStack | None = None
        self._task: asyncio.Task[None] | None = None
        self._warned_encrypted: set[str] = set()
        self.handled = 0  # events handed to the runtime (for tests and the benchmark)
        self._handled = asyncio.Condition()
        self._stopping = False
        self._since: str | None = None
        self._saved_ms = 0  # when the stored token was saved (ms since the epoch)
        self.timeline_limit = TIMELINE_LIMIT
        self._poll: asyncio.Future[Any] | None = None

    async def __aenter__(self) -> MatrixBot:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        try:
            whoami = await self.client.whoami()
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            await self.client.close()
            raise ChatError(
                f"I cannot reach the homeserver at {self.settings.homeserver} ({exc})",
                fix="check MATRIX_HOMESERVER",
            ) from None
        if not isinstance(whoami, nio.WhoamiResponse):
            await self.client.close()
            raise refusal("whoami", whoami, where=self.settings.homeserver)
        if whoami.user_id != self.settings.user_id:
            await self.client.close()
            raise ChatError(
                f"MATRIX_ACCESS_TOKEN belongs to {whoami.user_id}, not {self.settings.user_id}"
            )
        self._stack = contextlib.AsyncExitStack()
        try:
            await self.chat.load_direct()
            self.runtime = await self._stack.enter_async_context(
                self.runtime_factory({PLATFORM: self.chat}, presence=self.chat)
            )
            await self.runtime.start()
            await self.sync_once(timeout_ms=0)  # caught up before start() returns
        except BaseException:
            await self.stop()
            raise
        self._connected(True)  # the first sync succeeded
        self._task = asyncio.create_task(self._sync_forever(), name="matrix-sync")
        log.info("syncing with %s as %s", self.settings.homeserver, self.settings.user_id)

    def _connected(self, up: bool) -> None:
        """What /readyz reports for Matrix (the runtime's `connected`): the last sync's fate."""
        if self.runtime is not None and not (up and self._stopping):
            self.runtime.connected[PLATFORM] = up

    async def stop(self) -> None:
        """Stop polling; events in hand are finished first (cancelling their delivery halfway
        would send the reply again on the next start)."""
        self._stopping = True
        self._connected(False)
        if self._poll is not None:
            self._poll.cancel()
        if self._task is not None:
            _, pending = await asyncio.wait({self._task}, timeout=30)
            for task in pending:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            self._task = None
        if self._stack is not None:
            await self._stack.aclose()
            self._stack = None
        await self.client.close()

    async def wait_handled(self, count: int, timeout: float = 20) -> None:
        async with self._handled:
            await asyncio.wait_for(self._handled.wait_for(lambda: self.handled >= count), timeout)

    async def _count(self) -> None:
        async with self._handled:
            self.handled += 1
            self._handled.notify_all()

    async def _sync_forever(self) -> None:
        delay = 1.0
        while not self._stopping:
            try:
                await self.sync_once(timeout_ms=SYNC_TIMEOUT_MS)
                delay = 1.0
                self._connected(True)
            except asyncio.CancelledError:
                if self._stopping:  # the long poll was cancelled: nothing was in hand
                    return
                raise
            except Exception as exc:  # the homeserver away: try again, a little later each time
                log.warning("sync failed (%s); again in %.0f s", exc, delay)
                self._connected(False)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)

    async def _load_token(self) -> str | None:
        """The stored token, read once per start; after that it is ours to keep."""
        if self._since is not None:
            return self._since

        found = await asyncio.to_thread(self.app.sync_token, self.settings.user_id)
        if found is None:
            return None
        self._since, saved_at = found
        self._saved_ms = int(saved_at.timestamp() * 1000)
        return self._since

    async def _save_token(self, token: str) -> None:
        await asyncio.to_thread(self.app.save_sync_token, self.settings.user_id, token)
        self._since = token

    @staticmethod
    def _filter(limit: int) -> dict[str, Any]:
        return {"room": {"timeline": {"limit": limit}}, "presence": {"types": []}}

    async def sync_once(self, *, timeout_ms: int) -> None:
        """One /sync from the stored token; every event in it handled, then the new token
        stored. A crash in between re-reads the batch: the app acts on each event once."""
        since = await self._load_token()
        self._poll = asyncio.ensure_future(
            self.client.sync(
                timeout=timeout_ms if since else 0,
                # The first sync ever only learns where "now" is: no history is replayed.
                sync_filter=self._filter(self.timeline_limit if since else 0),
                since=since,
            )
        )
        try:
            resp = await self._poll
        finally:
            self._poll = None
        if not isinstance(resp, nio.SyncResponse):
            raise ChatError(f"sync refused: {getattr(resp, 'message', resp)}")
        for room_id, info in resp.rooms.invite.items():
            await self._invited(room_id, info)
        if since:
            await asyncio.gather(
                *(self._room_events(room_id, room) for room_id, room in resp.rooms.join.items())
            )
        await self._save_token(resp.next_batch)

    async def _invited(self, room_id: str, info: Any) -> None:
        inviter = ""
        is_direct = False
        for event in info.invite_state:
            if (
                isinstance(event, nio.InviteMemberEvent)
                and event.state_key == self.settings.user_id
            ):
                inviter = str(event.sender or "")
                is_direct = bool((event.content or {}).get("is_direct"))
        allowed = self.settings.invites_from or [self.settings.server_name]
        if "*" not in allowed and server_of(inviter) not in allowed:
            log.info("declining %s: invited by %s, whose server is not allowed", room_id, inviter)
            await self.client.room_leave(room_id)  # the inviter sees the refusal
            return
        resp = await self.client.join(room_id)
        if not isinstance(resp, nio.JoinResponse):
            log.warning("could not join %s: %s", room_id, getattr(resp, "message", resp))
            return
        if is_direct and inviter:
            await self.chat.remember_direct(inviter, room_id)

    async def _room_events(self, room_id: str, room: Any) -> None:
        """A room's new events, in order: one at a time, so commands are answered in order."""
        events = [e.source for e in room.timeline.events]
        if room.timeline.limited and room.timeline.prev_batch:
            events = await self._gap(room_id, room.timeline.prev_batch) + events
        events = self._since_joined(events)
        known = self.client.rooms.get(room_id)
        if known is not None and known.encrypted:
            await self._encrypted(room_id)
        dm_rooms = self.chat.direct_rooms()
        for event in events:
            await self._event(room_id, event, is_dm=room_id in dm_rooms)

    def _joined(self, event: dict[str, Any]) -> bool:
        return (
            event.get("type") == "m.room.member"
            and event.get("state_key") == self.settings.user_id
            and (event.get("content") or {}).get("membership") == "join"
            and ((event.get("unsigned") or {}).get("prev_content") or {}).get("membership")
            != "join"
        )

    def _since_joined(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """What was said before the bot joined is history, not commands for it."""
        for i in range(len(events) - 1, -1, -1):
            if self._joined(events[i]):
                return events[i + 1 :]
        return events

    async def _gap(self, room_id: str, prev_batch: str) -> list[dict[str, Any]]:
        """Events the sync left out (more than `timeline_limit` while we were away): paged
        back to the last stored sync (with a margin for clocks apart: the app skips events it
        handled, by event ID) or to the bot's joining, at most 1,000."""
        since_ms = self._saved_ms - GAP_MARGIN_MS
        older: list[dict[str, Any]] = []
        token = prev_batch
        while len(older) < 1000:
            resp = await self.client.room_messages(room_id, start=token, limit=100)
            if not isinstance(resp, nio.RoomMessagesResponse) or not resp.chunk:
                break
            chunk = [e.source for e in resp.chunk]
            older.extend(e for e in chunk if int(e.get("origin_server_ts") or 0) >= since_ms)
            if not resp.end or any(
                self._joined(e) or int(e.get("origin_server_ts") or 0) < since_ms for e in chunk
            ):
                break
            token = resp.end
        log.info("%s: %d events from the gap before this sync", room_id, len(older))
        return list(reversed(older))

    async def _event(self, room_id: str, event: dict[str, Any], *, is_dm: bool) -> None:
        assert self.runtime is not None
        kind = event.get("type")
        if kind == "m.room.encrypted" or (kind == "m.room.encryption" and "state_key" in event):
            await self._encrypted(room_id)
            return
        if kind == "m.reaction":
            reaction = to_reaction(event, room_id=room_id, chat=self.chat)
            if reaction is not None:
                await self.runtime.on_reaction(reaction)
                await self._count()
            return
        msg = to_message(event, room_id=room_id, chat=self.chat, is_dm=is_dm)
        if msg is not None:
            await self.runtime.on_message(msg)
            await self._count()

    async def _encrypted(self, room_id: str) -> None:
        if room_id in self._warned_encrypted:
            return
        self._warned_encrypted.add(room_id)
        content = render.message(Doc.of(ENCRYPTED_NOTICE)).content("m.notice")
        try:
            await self.chat.send(room_id, "m.room.message", content, where=room_id)
        except ChatError as exc:
            log.warning("%s is encrypted and I could not say so there: %s", room_id, exc)
        log.warning("%s is end-to-end encrypted: I cannot read it", room_id)
