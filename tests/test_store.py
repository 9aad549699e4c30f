"""The store on SQLite and PostgreSQL: migrations, UTC times, the one-incident-per-channel rule."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from warroom.core import incident as core
from warroom.store import db
from warroom.store import incidents as repo

T0 = datetime(2017, 2, 23, 22, 42, 36, tzinfo=UTC)


def test_the_fast_start_up_head_matches_alembic() -> None:
    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == db.HEAD


def test_migrations_apply_once_and_are_idempotent(db_url: str) -> None:
    engine = db.open_engine(db_url)
    try:
        db.upgrade(engine)
        db.upgrade(engine)
        assert db.HEAD == db.current_revision(engine)
    finally:
        engine.dispose()


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    factory = db.connect(db_url)
    yield factory
    factory.kw["bind"].dispose()


def test_incidents_round_trip_with_utc_times(sessions: sessionmaker[Session]) -> None:
    paris = timezone(timedelta(hours=1))
    new, event = core.start(
        platform="shell", channel="war-room", summary="s", imoc="a", reporter="a",
        now=T0.astimezone(paris),
    )  # fmt: skip
    with sessions.begin() as session:
        stored = repo.add(new, session=session)
        repo.add_event(stored.id, event, session=session)
    with sessions() as session:
        loaded = repo.get(stored.id, session=session)
        assert loaded is not None
        assert T0 == loaded.started_at
        assert UTC == loaded.started_at.tzinfo
        assert [event] == repo.timeline(stored.id, session=session)


def test_the_database_refuses_two_active_incidents_in_one_channel(
    sessions: sessionmaker[Session],
) -> None:
    """Even two replicas racing past the app's own check cannot bind one channel twice."""
    first, _ = core.start(
        platform="shell", channel="c", summary="a", imoc="x", reporter="x", now=T0
    )
    with sessions.begin() as session:
        stored = repo.add(first, session=session)
    with pytest.raises(IntegrityError), sessions.begin() as session:
        repo.add(first, session=session)
    with sessions.begin() as session:
        stopped, _ = core.stop(stored, actor="x", now=T0)
        repo.save(stopped, session=session)
    with sessions.begin() as session:
        assert stored.id < repo.add(first, session=session).id  # the channel is free again


def test_a_timer_key_is_scheduled_once_and_the_commit_reports_the_earliest_due_time(
    sessions: sessionmaker[Session],
) -> None:
    """Scheduling is one INSERT that leaves an existing key alone, on both databases."""
    from sqlalchemy import select

    from warroom.store import timers
    from warroom.store.tables import TimerRow

    later, sooner = T0 + timedelta(minutes=30), T0 + timedelta(minutes=5)
    with sessions.begin() as session:
        timers.schedule_many(
            [
                timers.NewTimer("inc1:r0@1800", "reminder", later, "shell"),
                timers.NewTimer("inc1:r1@300", "reminder", sooner, "shell", payload={"n": 1}),
            ],
            now=T0,
            session=session,
        )
        assert sooner == timers.scheduled_in(session)
        assert timers.scheduled_in(session) is None  # popped: reported once
    with sessions.begin() as session:  # again, as a retried command or a second replica would
        timers.schedule(
            key="inc1:r1@300", kind="reminder", due_at=T0, platform="shell", now=T0,
            session=session, payload={"n": 2},
        )  # fmt: skip
        timers.schedule_many([], now=T0, session=session)
    with sessions() as session:
        rows = session.execute(select(TimerRow.key, TimerRow.due_at, TimerRow.payload)).all()
    assert {("inc1:r0@1800", later, "{}"), ("inc1:r1@300", sooner, '{"n": 1}')} == set(rows)
