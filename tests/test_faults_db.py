"""A database blip must not stop the timers: the worker, its heartbeat and sweep, and
`wait_idle` wait the database out; long-lived tasks run under a supervisor that reports a task
that keeps failing (`Runtime.health`, `/readyz`)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from api_helpers import Api
from fault_helpers import database_away, start_stamped
from helpers import MakeConversation
from warroom.app.runtime import Runtime
from warroom.app.service import App
from warroom.app.supervisor import Supervisor
from warroom.config import Settings
from warroom.config.sections import ReminderSettings
from warroom.store.db import connect
from warroom.testing import FakeChat, FixedClock
from warroom.wiring import build_runtime

REFUSED = OperationalError("SELECT 1", {}, Exception("the database system is shutting down"))


def test_the_supervisor_restarts_a_failing_task_and_reports_it_until_it_works() -> None:
    runs: list[int] = []

    async def flaky() -> None:
        runs.append(1)
        if len(runs) <= 4:
            raise REFUSED
        await asyncio.sleep(3600)

    async def scenario() -> None:
        sup = Supervisor(base=0.01, cap=0.02)
        sup.start("flaky", flaky)
        async with asyncio.timeout(5):
            while len(runs) < 4:
                await asyncio.sleep(0.005)
        assert "OperationalError" in sup.health()["flaky"]
        assert sup.health()["flaky"].startswith("failing for")
        while len(runs) < 5:
            await asyncio.sleep(0.005)
        sup.report("flaky", None)  # a round that went well
        assert {"flaky": "ok"} == sup.health()
        assert sup.running("flaky")
        await sup.stop()
        assert not sup.running("flaky")

    asyncio.run(scenario())


def test_a_database_error_while_the_worker_sleeps_does_not_stop_the_timers(
    db_url: str, settings: Settings
) -> None:
    """The worker's `next_timer_due` (and `wait_idle`'s) raising ended the worker for good."""
    settings.reminders = [ReminderSettings(when=[1], message="look at the graphs")]
    app = App(sessions=connect(db_url), settings=settings)  # on the real clock
    chat = FakeChat()
    real = app.next_timer_due
    failures = {"left": 6}

    def flaky() -> object:
        if failures["left"]:
            failures["left"] -= 1
            raise REFUSED
        return real()

    app.next_timer_due = flaky  # type: ignore[assignment,method-assign]

    async def scenario() -> Runtime:
        runtime = build_runtime(app, {"shell": chat})
        await runtime.start()
        try:
            async with asyncio.timeout(20):
                await runtime.wait_idle()  # survives the errors too
                await runtime.on_message(_msg("warroom incident start me checkout is down"))
                while not any("graphs" in s.text for s in chat.sent):
                    await asyncio.sleep(0.05)
        finally:
            await runtime.stop()
        return runtime

    runtime = asyncio.run(scenario())
    app.sessions.kw["bind"].dispose()
    assert 0 == failures["left"]
    assert 1 == sum("graphs" in s.text and "🔔" in s.text for s in chat.sent)
    assert {"ok"} >= set(runtime.health().values())


def _msg(text: str) -> object:
    from warroom.ports import ChatMessage

    return ChatMessage(platform="shell", user="alice", channel="war-room", text=text)


def test_readyz_names_a_task_that_keeps_failing(make_conversation: MakeConversation) -> None:
    conv = make_conversation()
    api = Api(conv)
    api.state.extra["health"] = conv.runtime.health
    assert "ok" == api.call("GET", "/readyz").json()["checks"]["tasks"]
    for _ in range(3):
        conv.runtime.supervisor.report("timer worker", REFUSED)
    down = api.call("GET", "/readyz")
    assert 503 == down.status_code
    assert down.json()["checks"]["tasks"].startswith("timer worker: failing for")
    conv.runtime.supervisor.report("timer worker", None)
    assert 200 == api.call("GET", "/readyz").status_code


# The database away for 1, 3 and 5 s while reminders and an escalation are due ------------------

REMINDERS = [{"when": [1], "message": "r-one"}, {"when": [2], "message": "r-two"},
             {"when": [3], "message": "r-three"}, {"when": [8], "message": "r-eight"}]  # fmt: skip
ENV = {
    "WARROOM_REMINDERS": json.dumps(REMINDERS),
    "WARROOM_ROTATION__ESCALATE_AFTER": "2",
    "WARROOM_ROTATION__MAX_ENGINEERS": "3",
}


def blip(db_url: str, tmp_path: Path, seconds: float) -> dict[str, object]:
    """Start an incident and a page, make the database unavailable for `seconds`, and check
    each reminder and the escalation fired once, those due meanwhile within 2 s of recovery.
    Returns the figures (bench/chaos.py prints them)."""
    shell = start_stamped(tmp_path, "shell", "--db", db_url, "--no-web", "--user", "zed", env=ENV)
    try:
        shell.send("warroom incident start me checkout is down")
        started = shell.wait_for("topic: 🔥")
        shell.send("/channel dev-oncall", "devoncall the blip")
        shell.wait_for("@alice you're on call")
        time.sleep(max(0.0, started + 0.3 - time.monotonic()))
        with database_away(db_url):
            time.sleep(seconds)
        back = time.monotonic()
        shell.send(f"/sleep {max(0.0, started + 9.5 - back):.1f}")
        code, err = shell.finish()
    finally:
        if shell.proc.poll() is None:
            shell.proc.kill()
    assert 0 == code, err
    if seconds >= 3 and db_url.startswith("postgresql"):  # the shell says what kept failing
        assert "keeps failing" in err, err
        assert "works again" in err, err
    figures: dict[str, object] = {"seconds": seconds}
    late = 0.0
    for text, due in [("r-one", 1), ("r-two", 2), ("r-three", 3), ("@bob you're on call", 2.5),
                      ("r-eight", 8)]:  # fmt: skip
        times = shell.said(text)
        assert 1 == len(times), (text, shell.lines, err)
        at = times[0]
        assert at >= started + due - 0.5, (text, at - started)
        if started + due < back:  # due while the database was away
            assert at - back <= 2.0, (text, at - back, err)
            late = max(late, at - back)
    figures["after_recovery_max"] = round(late, 2)
    return figures


@pytest.mark.slow
@pytest.mark.parametrize("seconds", [1, 3, 5])
def test_a_database_blip_delays_the_timers_but_loses_none(
    db_url: str, tmp_path: Path, seconds: int
) -> None:
    blip(db_url, tmp_path, seconds)


# Heartbeats: a dead process's claims and outbox rows are taken over at once -------------------


def test_a_dead_processs_timers_and_outbox_rows_are_taken_over_after_missed_heartbeats(
    app: App, clock: FixedClock
) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from warroom.store import timers
    from warroom.store.tables import OutboxRow

    app.settings.reminders = []
    with app.sessions.begin() as session:
        for i in range(3):
            timers.schedule(key=f"k{i}", kind="nothing", due_at=clock.now(), platform="shell",
                            now=clock.now(), session=session)  # fmt: skip
    app.worker_beat("ghost")
    held = app.claim_due_timers(worker="ghost", limit=2)
    assert 2 == len(held)
    committed = app.handle_message(_msg("warroom incident start me checkout is down"))  # type: ignore[arg-type]
    with app.sessions.begin() as session:  # made by the ghost, never delivered
        session.execute(update(OutboxRow).values(created_by="ghost"))
    clock.advance(seconds=1)  # the ghost is alive: its claims and rows are its own
    assert ["k2"] == [t.key for t in app.claim_due_timers(worker="me", limit=10)]
    assert [] == app.pending_effects(older_than=30, dead_after=2.5)
    app.worker_beat("ghost")
    clock.advance(seconds=2)  # 2 s since its last beat: still alive
    assert [] == app.claim_due_timers(worker="me", limit=10)
    clock.advance(seconds=1)  # 3 s: dead (the lease has 57 s to go)
    assert {"k0", "k1"} == {t.key for t in app.claim_due_timers(worker="me", limit=10)}
    taken = app.pending_effects(older_than=30, dead_after=2.5)
    assert [d.outbox_id for d in committed] == [d.outbox_id for d in taken]
    assert clock.now() - timedelta(seconds=3) > held[0].due_at


def test_a_stopped_worker_releases_its_claims_and_leases_are_renewed_while_firing(
    app: App, clock: FixedClock
) -> None:
    from warroom.store import timers

    with app.sessions.begin() as session:
        timers.schedule(key="k", kind="nothing", due_at=clock.now(), platform="shell",
                        now=clock.now(), session=session)  # fmt: skip
    (held,) = app.claim_due_timers(worker="w", limit=5, dead_after=None)
    clock.advance(seconds=50)
    app.worker_beat("w", [held.id])  # firing it still: the lease runs 60 s from now
    clock.advance(seconds=30)
    assert [] == app.claim_due_timers(worker="x", limit=5, dead_after=None)
    app.worker_stopped("w")
    assert ["k"] == [t.key for t in app.claim_due_timers(worker="x", limit=5, dead_after=None)]
