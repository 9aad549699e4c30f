"""Matrix, on matrix-nio's async client: a /sync loop in, the client-server API out.

Translation only. Incoming: `m.room.message` events become `ChatMessage`s (pills as `@handle`,
the event ID as `event_id`, so each is acted on once, also across replicas), `m.reaction`
annotations become `Reaction`s, invitations are accepted from the allowed servers. The sync
token is stored in the database after each batch: a restart goes on where it stopped, neither
replaying history nor missing what was said while it was down. Outgoing: `MatrixChat`
implements the `Chat` and `Presence` ports; nio waits out `M_LIMIT_EXCEEDED` (`retry_after_ms`)
and the runtime delivers one message at a time per room, so order is kept.

People on the bot's own homeserver are known to the app by their localpart (`alice` for
`@alice:example.org`), which is what roster handles, `@alice` in commands and the on-call
configuration say; people from other servers by their full ID.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp
import nio
from nio.api import Api

from warroom.app.runtime import Runtime
from warroom.app.service import App
from warroom.config import ConfigError
from warroom.core.doc import Doc
from warroom.ports import Chat, ChatError, ChatMessage, Presence, Reaction
from warroom.render import matrix as render
from warroom.store import matrix as store

log = logging.getLogger(__name__)

PLATFORM = "matrix"
SYNC_TIMEOUT_MS = 30_000
TIMELINE_LIMIT = 100  # events per room per sync; a longer gap is paged back
GAP_MARGIN_MS = 600_000  # the bot's and the homeserver's clocks may be minutes apart
ENCRYPTED_NOTICE = (
    "🔒 This room is end-to-end encrypted and I cannot read encrypted messages: nothing said "
    "here reaches me. Talk to me in an unencrypted room, or in a direct message without "
    "encryption."
)

RuntimeFactory = Callable[[dict[str, Chat], Presence | None], AbstractAsyncContextManager[Runtime]]


@dataclass
class MatrixSettings:
    """How to reach the homeserver, from the environment: `MATRIX_HOMESERVER`,
    `MATRIX_USER_ID`, `MATRIX_ACCESS_TOKEN`, and `MATRIX_INVITES_FROM` (comma-separated
    servers whose users may invite the bot; default: its own server only; `*`: any)."""

    homeserver: str
    user_id: str
    access_token: str
    device_id: str = ""
    invites_from: list[str] = field(default_factory=list)

    @staticmethod
    def from_env(env: dict[str, str] | None = None) -> MatrixSettings | None:
        env = dict(os.environ) if env is None else env
        homeserver = env.get("MATRIX_HOMESERVER", "").strip()
        user_id = env.get("MATRIX_USER_ID", "").strip()
        token = env.get("MATRIX_ACCESS_TOKEN", "").strip()
        if not (homeserver and user_id and token):
            return None
        if not render.is_user_id(user_id):
            raise ConfigError(
                f"MATRIX_USER_ID {user_id!r} is not a Matrix ID like @bot:example.org"
            )
        servers = [s.strip() for s in env.get("MATRIX_INVITES_FROM", "").split(",") if s.strip()]
        return MatrixSettings(
            homeserver=homeserver.rstrip("/"),
            user_id=user_id,
            access_token=token,
            device_id=env.get("MATRIX_DEVICE_ID", "").strip(),
            invites_from=servers,
        )

    @property
    def server_name(self) -> str:
        return self.user_id.split(":", 1)[1]


def server_of(user_id: str) -> str:
    return user_id.split(":", 1)[1] if ":" in user_id else ""


def make_client(settings: MatrixSettings) -> nio.AsyncClient:
    config = nio.AsyncClientConfig(
        max_limit_exceeded=20,  # M_LIMIT_EXCEEDED: wait retry_after_ms, up to 20 times
        max_timeouts=3,
        encryption_enabled=False,
        store_sync_tokens=False,  # ours are in the database
    )
    client = nio.AsyncClient(
        settings.homeserver, settings.user_id, device_id=settings.device_id or None, config=config
    )
    client.access_token = settings.access_token
    client.user_id = settings.user_id
    return client


def _refusal(what: str, resp: Any, *, where: str) -> ChatError:
    code = getattr(resp, "status_code", None) or "error"
    said = getattr(resp, "message", None) or str(resp)
    if code == "M_FORBIDDEN" and "user_level" in said:
        message = f"My power level in {where} is too low for {what}; make me a moderator there."
        fix = f"{what}: {code}: {said}: raise the bot's power level in {where}"
    elif code in ("M_FORBIDDEN", "M_NOT_FOUND"):
        message = f"I can't act in {where}: I am not in it, or may not ({said})."
        fix = f"{what}: {code}: invite the bot to {where}, or check its power level"
    elif code == "M_UNKNOWN_TOKEN":
        message, fix = "My Matrix access token is not valid.", f"{what}: check MATRIX_ACCESS_TOKEN"
    else:
        message, fix = f"The homeserver refused {what} ({code}).", f"{what}: {code}: {said}"
    return ChatError(message, fix=fix)


# -- outgoing ------------------------------------------------------------------------------------


class MatrixChat:
    """The Chat and Presence ports on one logged-in nio client."""

    platform = PLATFORM

    def __init__(self, client: nio.AsyncClient, settings: MatrixSettings) -> None:
        self.client = client
        self.settings = settings
        self.server = settings.server_name
        self._aliases: dict[str, str] = {}  # `#name:server` -> room ID
        self._direct: dict[str, str] = {}  # user ID -> DM room ID (m.direct)
        self._direct_loaded = False
        self._direct_lock = asyncio.Lock()

    # names -------------------------------------------------------------------------------------

    def user_id(self, user: str) -> str | None:
        """The app's name of a person -> their Matrix ID: `alice` is `@alice:<our server>`."""
        user = user.strip()
        if render.is_user_id(user):
            return user
        handle = user.lstrip("@")
        if not handle or any(c.isspace() for c in handle):
            return None
        return f"@{handle.lower()}:{self.server}" if ":" not in handle else "@" + handle

    def handle(self, user_id: str) -> str:
        """A Matrix ID as the app names people: the localpart for our server's users."""
        local, _, server = user_id.partition(":")
        return local.lstrip("@") if server == self.server else user_id

    def alias(self, channel: str) -> str:
        """`support` -> `#support:<our server>`; IDs and full aliases as they are."""
        channel = channel.strip()
        if render.is_room(channel):
            return channel
        return f"#{channel.lstrip('#').lower()}:{self.server}"

    def room_link(self, channel: str) -> tuple[str, str] | None:
        target = self.alias(channel)
        room = self.client.rooms.get(target)
        if room is not None:
            shown = room.canonical_alias or room.display_name or target
            return (room.canonical_alias or target), shown.split(":", 1)[0]
        return target, target.split(":", 1)[0]

    async def room_id(self, channel: str, *, join: bool = True) -> str:
        """A channel as the app names it (room ID, alias, or a team's `support`) -> room ID;
        a room found by alias that the bot is not in is joined (public rooms)."""
        target = self.alias(channel)
        if target.startswith("!"):
            return target
        room_id = self._aliases.get(target)
        if room_id is None:
            resp = await self.client.room_resolve_alias(target)
            if not isinstance(resp, nio.RoomResolveAliasResponse):
                raise _refusal("resolving the alias", resp, where=target)
            room_id = self._aliases[target] = resp.room_id
        if join and room_id not in self.client.rooms:
            joined = await self.client.join(room_id)
            if not isinstance(joined, nio.JoinResponse):
                raise _refusal("joining", joined, where=target)
        return room_id

    def _render(self, doc: Doc) -> render.Rendered:
        return render.message(doc, self.user_id, self.room_link)

    def _content(self, doc: Doc) -> dict[str, Any]:
        """A notice (bots' messages notify nobody), unless it mentions someone: the default
        push rules silence every m.notice, mentions included, and a ping must ring."""
        rendered = self._render(doc)
        return rendered.content("m.text" if rendered.mentions else "m.notice")

    # Chat ----------------------------------------------------------------------------------------

    async def post(
        self, *, channel: str, doc: Doc, thread: str | None = None, only_to: str | None = None
    ) -> str | None:
        if only_to:  # Matrix has no message only one member sees: a direct message instead
            return await self.direct(user=only_to, doc=doc)
        room_id = await self.room_id(channel)
        content = self._content(doc)
        if thread:
            content["m.relates_to"] = {
                "rel_type": "m.thread",
                "event_id": thread,
                "is_falling_back": True,
                "m.in_reply_to": {"event_id": thread},
            }
        return await self.send(room_id, "m.room.message", content, where=channel)

    async def send(self, room_id: str, kind: str, content: dict[str, Any], *, where: str) -> str:
        resp = await self.client.room_send(room_id, kind, content)
        if not isinstance(resp, nio.RoomSendResponse):
            raise _refusal("sending", resp, where=where)
        return str(resp.event_id)

    async def direct(self, *, user: str, doc: Doc) -> str | None:
        user_id = self.user_id(user)
        if user_id is None:
            raise ChatError(f"I can't write to {user}: not a Matrix user.")
        room_id = await self.direct_room(user_id)
        return await self.send(room_id, "m.room.message", self._content(doc), where="our DM")

    async def load_direct(self) -> None:
        resp = await self.client.list_direct_rooms()
        rooms = resp.rooms if isinstance(resp, nio.DirectRoomsResponse) else {}
        for user_id, room_ids in rooms.items():
            if room_ids:
                self._direct[user_id] = room_ids[-1]
        self._direct_loaded = True

    def direct_rooms(self) -> set[str]:
        return set(self._direct.values())

    async def direct_room(self, user_id: str) -> str:
        """The DM with `user_id` from m.direct, created (and recorded there) when missing."""
        async with self._direct_lock:
            if not self._direct_loaded:
                await self.load_direct()
            room_id = self._direct.get(user_id)
            if room_id is not None:
                return room_id
            resp = await self.client.room_create(
                is_direct=True, invite=[user_id], preset=nio.RoomPreset.trusted_private_chat
            )
            if not isinstance(resp, nio.RoomCreateResponse):
                raise _refusal("creating a DM", resp, where=f"a DM with {user_id}")
            await self.remember_direct(user_id, resp.room_id)
            return str(resp.room_id)

    async def remember_direct(self, user_id: str, room_id: str) -> None:
        """Record the DM in the bot's m.direct account data, as clients do."""
        self._direct[user_id] = room_id
        mapping: dict[str, list[str]] = {}
        for uid, rid in self._direct.items():
            mapping.setdefault(uid, []).append(rid)
        path = Api._build_path(
            ["user", self.settings.user_id, "account_data", "m.direct"],
            {"access_token": self.client.access_token},
        )
        response = await self.client.send("PUT", path, Api.to_json(mapping))
        if response.status != 200:
            log.warning("could not record the DM with %s in m.direct: %s", user_id, response.status)

    async def set_topic(self, *, channel: str, topic: Doc | None) -> None:
        room_id = await self.room_id(channel)
        text = render.topic(topic, self.user_id, self.room_link) if topic is not None else ""
        resp = await self.client.room_put_state(room_id, "m.room.topic", {"topic": text})
        if not isinstance(resp, nio.RoomPutStateResponse):
            raise _refusal("setting the topic", resp, where=channel)

    async def create_channel(self, *, name: str) -> str:
        """A war room with alias `#name:<our server>`; an existing one is found and joined."""
        local = name.lstrip("#").lower()
        resp = await self.client.room_create(
            alias=local, name=local, preset=nio.RoomPreset.public_chat
        )
        if isinstance(resp, nio.RoomCreateResponse):
            self._aliases[self.alias(local)] = resp.room_id
            return str(resp.room_id)
        if getattr(resp, "status_code", "") == "M_ROOM_IN_USE":
            return await self.room_id(local)
        raise _refusal("creating a room", resp, where=f"#{local}")

    async def invite(self, *, channel: str, users: list[str]) -> None:
        room_id = await self.room_id(channel)
        for user in dict.fromkeys(users):
            user_id = self.user_id(user)
            if user_id is None:
                continue
            resp = await self.client.room_invite(room_id, user_id)
            if isinstance(resp, nio.RoomInviteResponse):
                continue
            said = str(getattr(resp, "message", ""))
            if "already in the room" in said or "already joined" in said:
                continue
            raise _refusal("inviting", resp, where=channel)

    # Presence ------------------------------------------------------------------------------------

    async def presence(self, *, user: str) -> str:
        """`active` when the homeserver says `online`; `unavailable` and `offline` are away."""
        user_id = self.user_id(user)
        if user_id is None:
            return "away"
        resp = await self.client.get_presence(user_id)
        if not isinstance(resp, nio.PresenceGetResponse):
            raise _refusal("reading presence", resp, where=user_id)
        return "active" if resp.presence == "online" else "away"


# -- incoming ------------------------------------------------------------------------------------


def to_message(
    event: dict[str, Any], *, room_id: str, chat: MatrixChat, is_dm: bool
) -> ChatMessage | None:
    """An `m.room.message` event as a ChatMessage; None for the bot's own messages, edits,
    notices (other bots) and anything that is not text."""
    if event.get("type") != "m.room.message" or event.get("sender") == chat.settings.user_id:
        return None
    content = event.get("content") or {}
    if content.get("msgtype") not in ("m.text", "m.emote") or not event.get("event_id"):
        return None
    relates = content.get("m.relates_to") or {}
    if relates.get("rel_type") == "m.replace":  # an edit: the command was acted on already
        return None
    text = render.incoming_text(content, handle=chat.handle)
    mentioned = False
    bot = chat.settings.user_id
    mentions = (content.get("m.mentions") or {}).get("user_ids") or []
    for prefix in (f"@{chat.handle(bot)}", bot):
        stripped = text.lstrip()
        if stripped.startswith(prefix) and (bot in mentions or stripped.startswith(bot)):
            text, mentioned = stripped[len(prefix) :].lstrip(" :,"), True
            break
    thread = relates.get("event_id") if relates.get("rel_type") == "m.thread" else None
    return ChatMessage(
        platform=PLATFORM,
        user=chat.handle(str(event["sender"])),
        channel=room_id,
        text=text,
        is_dm=is_dm,
        mentioned=mentioned,
        ref=str(event["event_id"]),
        thread=thread,
        event_id=f"matrix:{event['event_id']}",
    )


def to_reaction(event: dict[str, Any], *, room_id: str, chat: MatrixChat) -> Reaction | None:
    """An `m.reaction` annotation as a Reaction, its key as the emoji's name (👀 -> `eyes`)."""
    if event.get("type") != "m.reaction" or event.get("sender") == chat.settings.user_id:
        return None
    relates = (event.get("content") or {}).get("m.relates_to") or {}
    if relates.get("rel_type") != "m.annotation" or not relates.get("event_id"):
        return None
    key = str(relates.get("key") or "")
    return Reaction(
        platform=PLATFORM,
        user=chat.handle(str(event["sender"])),
        channel=room_id,
        emoji=EMOJI_NAMES.get(key.replace("\ufe0f", ""), key.strip(":")),
        message_ref=str(relates["event_id"]),
        event_id=f"matrix:{event.get('event_id')}",
    )


# Matrix reactions are the characters themselves; the configuration names them as Slack does.
EMOJI_NAMES = {
    "👀": "eyes",
    "👍": "+1",
    "👎": "-1",
    "✅": "white_check_mark",
    "🆗": "ok",
    "🙋": "raising_hand",
    "🔥": "fire",
}


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
            raise _refusal("whoami", whoami, where=self.settings.homeserver)
        if whoami.user_id != self.settings.user_id:
            await self.client.close()
            raise ChatError(
                f"MATRIX_ACCESS_TOKEN belongs to {whoami.user_id}, not {self.settings.user_id}"
            )
        self._stack = contextlib.AsyncExitStack()
        try:
            await self.chat.load_direct()
            self.runtime = await self._stack.enter_async_context(
                self.runtime_factory({PLATFORM: self.chat}, self.chat)
            )
            await self.runtime.start()
            await self.sync_once(timeout_ms=0)  # caught up before start() returns
        except BaseException:
            await self.stop()
            raise
        self._task = asyncio.create_task(self._sync_forever(), name="matrix-sync")
        log.info("syncing with %s as %s", self.settings.homeserver, self.settings.user_id)

    async def stop(self) -> None:
        """Stop polling; events in hand are finished first (cancelling their delivery halfway
        would send the reply again on the next start)."""
        self._stopping = True
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
            except asyncio.CancelledError:
                if self._stopping:  # the long poll was cancelled: nothing was in hand
                    return
                raise
            except Exception as exc:  # the homeserver away: try again, a little later each time
                log.warning("sync failed (%s); again in %.0f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)

    async def _load_token(self) -> str | None:
        """The stored token, read once per start; after that it is ours to keep."""
        if self._since is not None:
            return self._since

        def load() -> tuple[str, datetime] | None:
            with self.app.sessions.begin() as session:
                return store.sync_token(self.settings.user_id, session=session)

        found = await asyncio.to_thread(load)
        if found is None:
            return None
        self._since, saved_at = found
        self._saved_ms = int(saved_at.timestamp() * 1000)
        return self._since

    async def _save_token(self, token: str) -> None:
        def save() -> None:
            with self.app.sessions.begin() as session:
                store.save_sync_token(
                    self.settings.user_id, token, self.app.clock.now(), session=session
                )

        await asyncio.to_thread(save)
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


def runtime_factory_for(app: App) -> RuntimeFactory:
    """Today's runtime (warroom.app.assembly) as a factory."""
    from warroom.app.assembly import runtime_for

    def factory(
        chats: dict[str, Chat], presence: Presence | None
    ) -> AbstractAsyncContextManager[Runtime]:
        return runtime_for(app, chats, presence=presence)

    return factory


async def run(app: App, settings: MatrixSettings) -> None:
    """Run until Ctrl-C or SIGTERM; then finish the work in hand and disconnect."""
    stop = asyncio.Event()
    with contextlib.suppress(NotImplementedError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    bot = MatrixBot(app, settings, runtime_factory=runtime_factory_for(app))
    try:
        await bot.start()
    except ChatError as exc:
        raise ConfigError(
            f"Matrix: {exc} Fix: {exc.fix}" if exc.fix else f"Matrix: {exc}"
        ) from None
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await stop.wait()
    finally:
        await bot.stop()
    log.info("stopped")
