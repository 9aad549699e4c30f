"""Claiming, fencing and sweeping, on SQLite and PostgreSQL, with fixed times."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from warroom.app import timer_work
from warroom.app.context import Ctx
from warroom.app.effects import Post
from warroom.app.service import App
from warroom.config import Settings
from warroom.core.doc import Doc
from warroom.ports import ChatMessage
from warroom.store import db, outbox, timers
from warroom.testing import FakeChat, FixedClock
from warroom.wiring import build_runtime

T0 = datetime(2017, 2, 23, 22, 42, 36, tzinfo=UTC)
LEASE = timedelta(seconds=60)


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    factory = db.connect(db_url)
    yield factory
    factory.kw["bind"].dispose()


def schedule(sessions: sessionmaker[Session], n: int, kind: str = "test") -> None:
    with sessions.begin() as session:
        for i in range(n):
            timers.schedule(
                key=f"k{i}", kind=kind, due_at=T0 + timedelta(seconds=i), platform="shell",
                channel="c", now=T0, session=session, payload={"i": i},
            )  # fmt: skip


def test_claims_are_disjoint_and_a_lapsed_claim_is_fenced(sessions: sessionmaker[Session]) -> None:
    schedule(sessions, 10)
    later = T0 + timedelta(seconds=20)
    with sessions.begin() as s:
        first = timers.claim_due(worker="w1", now=later, lease=LEASE, limit=6, session=s)
    with sessions.begin() as s:
        second = timers.claim_due(worker="w2", now=later, lease=LEASE, limit=6, session=s)
    assert [f"k{i}" for i in range(6)] == [t.key for t in first]  # oldest due first
    assert [f"k{i}" for i in range(6, 10)] == [t.key for t in second]
    with sessions.begin() as s:  # w1 stalls past its lease; w3 takes its timers over
        third = timers.claim_due(
            worker="w3", now=later + LEASE * 2, lease=LEASE, limit=6, session=s
        )
    assert [t.key for t in first] == [t.key for t in third]
    with sessions.begin() as s:
        assert set() == timers.mark_fired_many(first, later, session=s)  # stale tokens: nothing
    with sessions.begin() as s:
        assert {t.id for t in third} == timers.mark_fired_many(third, later, session=s)
    with sessions.begin() as s:
        # Fired once: fencing again finds nothing left to fire.
        assert set() == timers.mark_fired_many(third, later, session=s)
        assert 4 == timers.pending_count(session=s)


def test_a_cancelled_timer_is_never_claimed(sessions: sessionmaker[Session]) -> None:
    schedule(sessions, 3)
    with sessions.begin() as s:
        assert 3 == timers.cancel(key_prefix="k", now=T0, session=s)
    with sessions.begin() as s:
        assert [] == timers.claim_due(worker="w", now=T0 + LEASE, lease=LEASE, limit=9, session=s)


def test_a_failing_timer_does_not_hold_back_the_others(
    app: App, monkeypatch: pytest.MonkeyPatch, clock: FixedClock
) -> None:
    def handler(timer: timers.Claimed, ctx: Ctx) -> None:
        if timer.payload["i"] == 1:
            raise RuntimeError("boom")
        ctx.emit(Post("c", Doc.of(f"timer {timer.payload['i']}")), "shell")

    monkeypatch.setitem(timer_work.TIMER_HANDLERS, "test", handler)
    schedule(app.sessions, 3)
    clock.advance(seconds=10)
    deliveries = app.fire_timers(app.claim_due_timers(worker="w"))
    assert ["timer 0", "timer 2"] == [d.effect.doc.lines[0][0].text for d in deliveries]  # type: ignore[union-attr]
    with app.sessions() as s:
        assert 1 == timers.pending_count(session=s)  # the failed one waits for its lease
    clock.advance(minutes=5)
    monkeypatch.setitem(timer_work.TIMER_HANDLERS, "test", lambda t, c: None)
    app.fire_timers(app.claim_due_timers(worker="w"))
    with app.sessions() as s:
        assert 0 == timers.pending_count(session=s)


def test_the_sweeper_takes_only_stale_undelivered_effects_once(app: App, clock: FixedClock) -> None:
    msg = ChatMessage(platform="shell", user="a", channel="c", text="warroom incident start me x")
    committed = app.handle_message(msg)  # never delivered: its creator "died"
    assert [] == app.pending_effects(older_than=30)  # too fresh: its creator may be delivering
    clock.advance(seconds=31)
    taken = app.pending_effects(older_than=30)
    assert [d.outbox_id for d in committed] == [d.outbox_id for d in taken]
    assert [] == app.pending_effects(older_than=30)  # claimed: another replica gets nothing
    clock.advance(minutes=2)  # the claimer died too: after the lease it is offered again
    assert len(committed) == len(app.pending_effects(older_than=30))


def test_outbox_rows_are_given_up_after_max_attempts(app: App, clock: FixedClock) -> None:
    msg = ChatMessage(platform="shell", user="a", channel="c", text="warroom incident start me x")
    first = app.handle_message(msg)[0]
    assert first.outbox_id is not None
    for _ in range(outbox.MAX_ATTEMPTS):
        app.mark_failed(first.outbox_id, "channel_not_found")
    clock.advance(minutes=5)
    assert first.outbox_id not in [d.outbox_id for d in app.pending_effects()]


def test_next_due_waits_for_the_lease_of_a_timer_another_worker_holds(
    sessions: sessionmaker[Session],
) -> None:
    """A worker must not spin on a due timer it cannot claim (and the shell must not wait on it)."""
    schedule(sessions, 1)
    later = T0 + timedelta(seconds=5)
    with sessions() as s:
        assert T0 == timers.next_due(now=later, session=s)
    with sessions.begin() as s:
        timers.claim_due(worker="other", now=later, lease=LEASE, limit=1, session=s)
    with sessions() as s:
        assert later + LEASE == timers.next_due(now=later, session=s)


def test_next_due_is_the_sooner_of_a_lease_end_and_the_next_free_timer(
    sessions: sessionmaker[Session],
) -> None:
    """k0 and k1 (due T0, T0 + 1 s) are held by another worker until T0 + 65 s; k2, due at
    T0 + 30 s and free, comes first. Once k2 is held too, the first lease end does. Once
    every lease lapses, the earliest due time again."""
    schedule(sessions, 2)
    with sessions.begin() as s:
        timers.schedule(key="k2", kind="test", due_at=T0 + timedelta(seconds=30),
                        platform="shell", channel="c", now=T0, session=s)  # fmt: skip
    later = T0 + timedelta(seconds=5)
    with sessions.begin() as s:
        timers.claim_due(worker="other", now=later, lease=LEASE, limit=2, session=s)
    with sessions() as s:
        assert T0 + timedelta(seconds=30) == timers.next_due(now=later, session=s)
    at_k2 = T0 + timedelta(seconds=31)
    with sessions.begin() as s:
        timers.claim_due(worker="other", now=at_k2, lease=LEASE, limit=1, session=s)
    with sessions() as s:
        assert later + LEASE == timers.next_due(now=at_k2, session=s)
    lapsed = at_k2 + LEASE
    with sessions() as s:
        assert T0 == timers.next_due(now=lapsed, session=s)


def test_the_worker_wakes_for_a_scheduled_timer_and_not_for_every_command(
    app: App, settings: Settings, clock: FixedClock
) -> None:
    """A command that schedules a timer wakes the sleeping worker at once; commands that
    schedule nothing cost the worker no look at the database (bench/slack_roundtrip.py)."""
    settings.timers.poll = 60  # the worker's own wake-ups are far away
    chat = FakeChat()
    looks: list[int] = []
    claim = app.claim_due_timers

    def counting_claim(
        *, worker: str, limit: int = 100, dead_after: float | None = None
    ) -> list[timers.Claimed]:
        looks.append(1)
        return claim(worker=worker, limit=limit, dead_after=dead_after)

    app.claim_due_timers = counting_claim  # type: ignore[method-assign]
    say = ChatMessage(platform="shell", user="a", channel="c", text="")

    async def scenario() -> None:
        runtime = build_runtime(app, {"shell": chat})
        await runtime.start()
        try:
            await runtime.wait_idle()
            await asyncio.sleep(0.2)
            before = len(looks)
            for text in ["warroom incidents", "warroom oncall", "warroom help"]:
                await runtime.on_message(replace(say, text=text))
            await asyncio.sleep(0.2)
            assert before == len(looks)  # nothing scheduled: the worker slept on
            with app.sessions.begin() as session:  # as a command that sets a reminder does
                timers.schedule(
                    key="now", kind="nothing", due_at=clock.now(), platform="shell",
                    now=clock.now(), session=session,
                )  # fmt: skip
            async with asyncio.timeout(5):  # not the 60 s poll
                while len(looks) == before:
                    await asyncio.sleep(0.01)
        finally:
            await runtime.stop()
        assert app.timer_scheduled == []  # a stopped runtime is not woken

    asyncio.run(scenario())
