"""Fixtures: a database on SQLite and on PostgreSQL, settings, a fixed clock, conversations."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from warroom.app.service import App
from warroom.config import Settings, TeamSettings
from warroom.store.db import connect, open_engine, upgrade
from warroom.testing import Conversation, FixedClock

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
                "stalks, provider_statuses, processed_events, notices, roster, rotation_pages"
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
def app(db_url: str, settings: Settings, clock: FixedClock) -> Iterator[App]:
    sessions = connect(db_url)
    yield App(sessions=sessions, settings=settings, clock=clock)
    engine = sessions.kw["bind"]
    engine.dispose()


@pytest.fixture
def conv(app: App) -> Iterator[Conversation]:
    conversation = Conversation(app)
    yield conversation
    conversation.close()
