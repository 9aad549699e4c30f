"""The Chat and Presence ports on one logged-in nio client; the settings from the environment.

People on the bot's own homeserver are known to the app by their localpart (`alice` for
`@alice:example.org`), which is what roster handles, `@alice` in commands and the on-call
configuration say; people from other servers by their full ID. nio waits out
`M_LIMIT_EXCEEDED` (`retry_after_ms`); the runtime sends one message at a time per room.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import nio
from nio.api import Api

from warroom.config import ConfigError
from warroom.core.doc import ChannelRef, Doc
from warroom.ports import ChatError
from warroom.render import matrix as render
from warroom.telemetry import CHAT_API_ERRORS

log = logging.getLogger(__name__)

PLATFORM = "matrix"


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
    def from_env(env: Mapping[str, str]) -> MatrixSettings | None:
        """From the MATRIX_* variables (the composition root passes them from `Secrets`)."""
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


def refusal(what: str, resp: Any, *, where: str) -> ChatError:
    """The homeserver refused `what`: counted in /metrics (by what was refused), and said in
    words a person can act on."""
    CHAT_API_ERRORS.labels(PLATFORM, what).inc()
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
        self._room_aliases: dict[str, str] = {}  # room ID -> its alias ("" when it has none)
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
        """What a room reference links to and shows: its alias when it has one."""
        target = self.alias(channel)
        room = self.client.rooms.get(target)
        alias = (room.canonical_alias if room is not None else None) or self._room_aliases.get(
            target
        )
        if alias:
            return alias, alias.split(":", 1)[0]
        shown = room.display_name if room is not None and room.display_name else target
        return target, shown.split(":", 1)[0]

    async def learn_rooms(self, doc: Doc) -> None:
        """Aliases of the rooms `doc` links to by ID that the sync has not shown us (after a
        restart it shows only rooms that changed): read from the room's state, once."""
        for line in doc.lines:
            for seg in line:
                if not isinstance(seg, ChannelRef):
                    continue
                target = self.alias(seg.channel)
                room = self.client.rooms.get(target)
                known = room is not None and room.canonical_alias
                if not target.startswith("!") or known or target in self._room_aliases:
                    continue
                resp = await self.client.room_get_state_event(target, "m.room.canonical_alias")
                alias = getattr(resp, "content", {}).get("alias") if resp else None
                self._room_aliases[target] = str(alias) if alias else ""

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
                raise refusal("resolving the alias", resp, where=target)
            room_id = self._aliases[target] = resp.room_id
        if join and room_id not in self.client.rooms:
            joined = await self.client.join(room_id)
            if not isinstance(joined, nio.JoinResponse):
                raise refusal("joining", joined, where=target)
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
        await self.learn_rooms(doc)
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
            raise refusal("sending", resp, where=where)
        return str(resp.event_id)

    async def direct(self, *, user: str, doc: Doc) -> str | None:
        user_id = self.user_id(user)
        if user_id is None:
            raise ChatError(f"I can't write to {user}: not a Matrix user.")
        room_id = await self.direct_room(user_id)
        await self.learn_rooms(doc)
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
                raise refusal("creating a DM", resp, where=f"a DM with {user_id}")
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
        if topic is not None:
            await self.learn_rooms(topic)
        text = render.topic(topic, self.user_id, self.room_link) if topic is not None else ""
        resp = await self.client.room_put_state(room_id, "m.room.topic", {"topic": text})
        if not isinstance(resp, nio.RoomPutStateResponse):
            raise refusal("setting the topic", resp, where=channel)

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
        raise refusal("creating a room", resp, where=f"#{local}")

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
            raise refusal("inviting", resp, where=channel)

    # Presence ------------------------------------------------------------------------------------

    async def presence(self, *, user: str) -> str:
        """`active` when the homeserver says `online`; `unavailable` and `offline` are away."""
        user_id = self.user_id(user)
        if user_id is None:
            return "away"
        resp = await self.client.get_presence(user_id)
        if not isinstance(resp, nio.PresenceGetResponse):
            raise refusal("reading presence", resp, where=user_id)
        return "active" if resp.presence == "online" else "away"


async def password_login(
    homeserver: str, user_id: str, password: str, *, device_name: str = "warroom"
) -> tuple[str, str]:
    """Log in once with a password (`warroom matrix login`): (access token, device ID). A
    refusal (wrong password, unknown user, unreachable homeserver) is a ChatError in words."""
    if not render.is_user_id(user_id):
        raise ChatError(f"{user_id!r} is not a Matrix ID like @bot:example.org")
    client = nio.AsyncClient(homeserver.rstrip("/"), user_id)
    try:
        resp = await client.login(password, device_name=device_name)
    except (OSError, nio.exceptions.LocalProtocolError) as exc:
        raise ChatError(f"I could not reach {homeserver}: {exc}") from None
    finally:
        await client.close()
    if isinstance(resp, nio.LoginResponse):
        return resp.access_token, resp.device_id
    message = getattr(resp, "message", "") or "refused"
    raise ChatError(f"{homeserver} refused the login of {user_id}: {message}")
