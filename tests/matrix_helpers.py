"""The Matrix tests' plugin: a real Synapse for the session, people as real nio clients, and a
bot per test on its own database. Loaded by tests/conftest.py (`pytest_plugins`)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import nio
import pytest

from warroom.app.service import App
from warroom.chat.matrix import MatrixBot, MatrixSettings
from warroom.cli import seed_roster
from warroom.config import Settings, load
from warroom.store.db import connect
from warroom.testing.synapse import Account, Synapse, SynapseUnavailable, install
from warroom.wiring import runtime_for

PEOPLE = ("alice", "bob", "carol", "chen", "dave", "erin")  # the example configuration's people


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    """One homeserver for the whole session (installed once per machine, started here)."""
    began = time.monotonic()
    try:
        python = install()
        installed = time.monotonic() - began
        server = Synapse(tmp_path_factory.mktemp("synapse"), python)
        server.start()
    except SynapseUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{exc} (CI=true: the Matrix tests must run)")
        pytest.skip(str(exc))
    server.timings["install_s"] = installed
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def accounts(synapse: Synapse) -> dict[str, Account]:
    """The bot (`warroom`) and the people, registered with the shared secret."""
    return {name: synapse.register(name) for name in ("warroom", *PEOPLE)}


@pytest.fixture
def matrix_settings(tmp_path: Path) -> Settings:
    """The shipped example configuration (its builtin roster and commanders), made quick."""
    settings, _ = load(Path(__file__).parents[1] / "src/warroom/example-config.yml")
    settings.reports.dir = tmp_path / "reports"
    settings.reminders = []
    settings.status.sources = []
    settings.rotation.escalate_after = 2
    return settings


@pytest.fixture
def matrix_app(tmp_path: Path, matrix_settings: Settings) -> Iterator[App]:
    sessions = connect(f"sqlite:///{tmp_path / 'warroom.db'}")
    app = App(sessions=sessions, settings=matrix_settings)
    seed_roster(app)  # as `warroom run` does
    yield app
    sessions.kw["bind"].dispose()


def bot_settings(synapse: Synapse, bot: Account) -> MatrixSettings:
    return MatrixSettings(
        homeserver=synapse.url,
        user_id=bot.user_id,
        access_token=bot.access_token,
        device_id=bot.device_id,
    )


@asynccontextmanager
async def matrix_bot(
    app: App, synapse: Synapse, bot: Account, *, timeline_limit: int | None = None
) -> AsyncIterator[MatrixBot]:
    settings = bot_settings(synapse, bot)
    running = MatrixBot(app, settings, runtime_factory=partial(runtime_for, app))
    if timeline_limit is not None:
        running.timeline_limit = timeline_limit
    async with running:
        yield running


@dataclass
class Person:
    """Someone in a Matrix client: says things, reacts, and reads what the bot said."""

    account: Account
    client: nio.AsyncClient
    bot: str
    since: str | None = None
    seen: list[dict[str, Any]] = field(default_factory=list)  # every event synced, in order

    @property
    def user_id(self) -> str:
        return self.account.user_id

    async def sync(self, timeout_ms: int = 0) -> list[dict[str, Any]]:
        # The first sync skips history; later ones take every event (the default is 10).
        first = {"room": {"timeline": {"limit": 0 if self.since is None else 200}}}
        resp = await self.client.sync(
            timeout=timeout_ms, since=self.since, set_presence="online", sync_filter=first
        )
        assert isinstance(resp, nio.SyncResponse), resp
        self.since = resp.next_batch
        new: list[dict[str, Any]] = []
        for room_id, room in resp.rooms.join.items():
            for event in room.timeline.events:
                new.append({**event.source, "room_id": room_id})
        for room_id in resp.rooms.invite:
            new.append({"type": "invite", "room_id": room_id})
        self.seen.extend(new)
        return new

    async def say(self, room_id: str, text: str, *, html: str | None = None) -> str:
        content: dict[str, Any] = {"msgtype": "m.text", "body": text}
        if html is not None:
            content.update(format="org.matrix.custom.html", formatted_body=html)
        resp = await self.client.room_send(room_id, "m.room.message", content)
        assert isinstance(resp, nio.RoomSendResponse), resp
        return str(resp.event_id)

    async def react(self, room_id: str, event_id: str, key: str = "👀") -> str:
        content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}
        resp = await self.client.room_send(room_id, "m.reaction", content)
        assert isinstance(resp, nio.RoomSendResponse), resp
        return str(resp.event_id)

    async def join(self, room: str) -> str:
        resp = await self.client.join(room)
        assert isinstance(resp, nio.JoinResponse), resp
        return str(resp.room_id)

    async def create_room(self, alias: str, *, invite_bot: bool = True) -> str:
        resp = await self.client.room_create(
            alias=alias, name=alias, preset=nio.RoomPreset.public_chat,
            invite=[self.bot] if invite_bot else [],
            # The bot sets topics: a moderator, as docs/matrix.md asks.
            power_level_override={"users": {self.bot: 50}},
        )  # fmt: skip
        assert isinstance(resp, nio.RoomCreateResponse), resp
        return str(resp.room_id)

    async def from_bot(
        self, room_id: str | None, count: int = 1, *, timeout: float = 20
    ) -> list[dict[str, Any]]:
        """The next `count` messages the bot posts (in `room_id`, or anywhere), waited for."""
        taken: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while True:
            for event in self.seen:
                if (
                    event.get("sender") == self.bot
                    and event.get("type") == "m.room.message"
                    and (room_id is None or event["room_id"] == room_id)
                    and not event.get("_taken")
                ):
                    event["_taken"] = True
                    taken.append(event)
                    if len(taken) == count:
                        return taken
            left = deadline - time.monotonic()
            if left <= 0:
                bodies = [e["content"].get("body") for e in taken]
                raise AssertionError(f"waited {timeout} s for {count} messages; got {bodies}")
            await self.sync(timeout_ms=int(min(left, 5) * 1000))

    async def bodies(self, room_id: str | None, count: int = 1) -> list[str]:
        return [str(e["content"]["body"]) for e in await self.from_bot(room_id, count)]

    async def highlights(self, room_id: str) -> list[dict[str, Any]]:
        """What rang for this person in `room_id` (the homeserver's push rules decided)."""
        url = f"{self.client.homeserver}/_matrix/client/v3/notifications?only=highlight"
        headers = {"Authorization": f"Bearer {self.account.access_token}"}
        async with httpx.AsyncClient() as http:
            response = await http.get(url, headers=headers, timeout=10)
        response.raise_for_status()
        return [n["event"] for n in response.json()["notifications"] if n["room_id"] == room_id]

    async def wait_for_member(self, room_id: str, user_id: str) -> None:
        await self.wait_for(
            "m.room.member",
            room_id,
            lambda e: e.get("state_key") == user_id and e["content"].get("membership") == "join",
        )

    async def wait_for(
        self,
        kind: str,
        room_id: str,
        match: Callable[[dict[str, Any]], bool] = lambda e: True,
        *,
        timeout: float = 20,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.seen:
                if (
                    event.get("type") == kind
                    and event["room_id"] == room_id
                    and not event.get("_taken")
                    and match(event)
                ):
                    event["_taken"] = True
                    return event
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kind} in {room_id} within {timeout} s")
            await self.sync(timeout_ms=int(min(left, 5) * 1000))


@asynccontextmanager
async def people(
    synapse: Synapse, accounts: dict[str, Account]
) -> AsyncIterator[dict[str, Person]]:
    """Every person logged in, synced up to now (older events are not theirs to read again)."""
    found: dict[str, Person] = {}
    try:
        for name in PEOPLE:
            account = accounts[name]
            client = nio.AsyncClient(synapse.url, account.user_id, device_id=account.device_id)
            client.access_token = account.access_token
            client.user_id = account.user_id
            person = found[name] = Person(account, client, accounts["warroom"].user_id)
            await person.sync()
            person.seen.clear()
        yield found
    finally:
        await asyncio.gather(*(p.client.close() for p in found.values()))
