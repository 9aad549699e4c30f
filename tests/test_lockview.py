"""The lock check answered from memory: at once after a lock or unlock in this process, within
`refresh` after one on another replica (a row written by another process)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, insert

from api_helpers import Api
from warroom.app.service import App
from warroom.store.tables import DeployLockRow
from warroom.testing import Conversation
from warroom.web.lockview import LockView

STACK = "shop/web"
ROW = {"stack": STACK, "holder": "@bob", "reason": "elsewhere", "since": datetime.now(UTC),
       "incident_id": None, "platform": "shell"}  # fmt: skip


@pytest.fixture
def api(conv: Conversation) -> Iterator[Api]:
    made = Api(conv)
    made.token("ci", "deploy")
    made.state.extra["locks"] = LockView(conv.app, refresh=1.0)
    yield made
    made.close()


def status(api: Api) -> int:
    return api.call("GET", f"/api/v1/locks/{STACK}", token="ci").status_code


def other_replica(api: Api, *, locked: bool) -> None:
    """What another process does: the row, without this process's commit hook."""
    with api.conv.app.sessions.begin() as session:
        if locked:
            session.execute(insert(DeployLockRow.__table__), [ROW])  # type: ignore[arg-type]
        else:
            session.execute(delete(DeployLockRow).where(DeployLockRow.stack == STACK))


def test_a_lock_taken_here_is_seen_at_once(api: Api) -> None:
    assert 200 == status(api)
    api.conv.say(f"spy shipit lock {STACK} freeze", user="ana", channel="deploys")
    assert 423 == status(api)
    assert 200 == api.call("DELETE", f"/api/v1/locks/{STACK}", token="ci").status_code
    assert 200 == status(api)
    assert 201 == api.call("POST", f"/api/v1/locks/{STACK}", token="ci", json={}).status_code
    assert 423 == status(api)


def test_a_lock_taken_on_another_replica_is_seen_within_the_refresh(api: Api) -> None:
    assert 200 == status(api)
    other_replica(api, locked=True)
    started = time.monotonic()
    seen = [status(api)]
    while seen[-1] == 200 and time.monotonic() - started < 5:
        time.sleep(0.05)
        seen.append(status(api))
    waited = time.monotonic() - started
    assert 423 == seen[-1]
    assert 200 == seen[0]  # answered from memory meanwhile: no read per check
    assert waited < 1.0 + 0.5, waited
    other_replica(api, locked=False)
    time.sleep(1.05)
    assert 200 == status(api)


def test_while_checks_come_a_background_read_keeps_the_view_fresh(app: App) -> None:
    """A pipeline polling once a second never waits for the database: the view is read
    every half `refresh` in the background while checks come, so a check is a lookup."""

    async def scenario() -> None:
        view = LockView(app, refresh=0.2)
        try:
            assert await view.get(STACK) is None
            reads = []
            real = view._read

            async def counted() -> None:
                reads.append(time.monotonic())
                await real()

            view._read = counted  # type: ignore[method-assign]
            await asyncio.sleep(0.5)
            assert len(reads) >= 2  # in the background, with no check meanwhile
            with app.sessions.begin() as session:
                session.execute(insert(DeployLockRow.__table__), [ROW])  # type: ignore[arg-type]
            await asyncio.sleep(0.3)
            before = len(reads)
            found = await view.get(STACK)
            assert found is not None
            assert "@bob" == found.holder
            assert before == len(reads)  # answered from memory
        finally:
            await view.close()

    asyncio.run(scenario())
