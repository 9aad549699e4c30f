"""Fixtures: a database on SQLite and on PostgreSQL, settings, a fixed clock, apps and
conversations (`make_app`, `make_conversation` build more, each closed at the test's end)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

from helpers import AsyncClosable, MakeApp, MakeConversation
from warroom.app.service import App
from warroom.config import Settings, TeamSettings
from warroom.store.db import connect, open_engine, upgrade
from warroom.testing import Conversation, FixedClock
from warroom.testing.vendors import FakeJira

pytest_plugins = ["matrix_helpers"]

PG_ADMIN = os.environ.get("WARROOM_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
T0 = datetime(2017, 2, 23, 22, 42, 36, tzinfo=UTC)


def _pg_reachable() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL at {PG_ADMIN} is not reachable: {str(exc).strip().splitlines()[0]}"


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    reason = _pg_reachable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: the PostgreSQL tests must run)")
        pytest.skip(reason)
    name = f"warroom_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    yield f"{base}/{name}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url(pg_database: str) -> str:
    """The session's PostgreSQL database, migrated and emptied for this test."""
    engine = open_engine(pg_database)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "TRUNCATE incidents, events, reports, outbox, pages, snoozes, oncall_cache, timers, "
                "stalks, provider_statuses, processed_events, notices, roster, rotation_pages, "
                "deploy_locks, api_tokens, alerts, incident_impacts, slo_minutes, slo_alerts, action_items, workers"
                " RESTART IDENTITY CASCADE"
            )
        )
    engine.dispose()
    return pg_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: an SQLite file, or the session's PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warroom.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    result = Settings()
    result.reports.dir = tmp_path / "reports"
    result.bot.aliases = ["spy"]
    result.teams = {
        "support": TeamSettings(channel="support"),
        "datastores": TeamSettings(channel="datastores"),
    }
    return result


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def make_app(db_url: str, settings: Settings, clock: FixedClock) -> Iterator[MakeApp]:
    """`make_app(settings=None)`: a new App (a new process, as far as the database can tell) on
    the test's database and clock, with the `settings` fixture unless given others. Its engine
    is disposed at the test's end."""
    engines: list[Any] = []

    def make(config: Settings | None = None) -> App:
        sessions = connect(db_url)
        engines.append(sessions.kw["bind"])
        return App(sessions=sessions, settings=settings if config is None else config, clock=clock)

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture
def make_conversation(make_app: MakeApp) -> Iterator[MakeConversation]:
    """`make_conversation(app=None, *, settings=None, closing=(), **ports)`: a Conversation on
    `app` (or on a new App with `settings`); `ports` go to Conversation (`pagers=`, `tracker=`,
    `status=`, `presence=`). At the test's end each client in `closing` is `aclose`d on the
    conversation's loop, then the conversation is closed (unless the test closed it already)."""
    made: list[tuple[Conversation, Sequence[AsyncClosable]]] = []

    def make(
        app: App | None = None,
        *,
        settings: Settings | None = None,
        closing: Sequence[AsyncClosable] = (),
        **ports: Any,
    ) -> Conversation:
        assert app is None or settings is None, "give an app or the settings for a new one"
        conversation = Conversation(app or make_app(settings), **ports)
        made.append((conversation, closing))
        return conversation

    yield make
    for conversation, clients in reversed(made):
        if conversation.loop.is_closed():
            continue
        for client in clients:
            conversation.loop.run_until_complete(client.aclose())
        conversation.close()


@pytest.fixture
def app(make_app: MakeApp) -> App:
    return make_app()


@pytest.fixture
def conv(app: App, make_conversation: MakeConversation) -> Conversation:
    return make_conversation(app)


@pytest.fixture
def jira() -> Iterator[FakeJira]:
    """A fake Jira Cloud on 127.0.0.1 with project OPS, for bot@example.com / jira-token."""
    with FakeJira(email="bot@example.com", token="jira-token", projects={"OPS"}) as fake:
        yield fake
