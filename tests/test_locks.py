"""Deploy locks in chat (Spy's `shipit lock`), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from warroom.app.service import App
from warroom.commands.deploy import LockStack, UnlockStack
from warroom.config import Settings
from warroom.ports import ChatMessage
from warroom.store import locks
from warroom.store.db import connect
from warroom.testing import Conversation, FixedClock

STACK = "shopify/shopify/production"


def test_lock_unlock_and_list_in_spys_words(conv: Conversation) -> None:
    """`shipit lock`, `shipit locks` and `shipit unlock`, answered as Spy did (seed 004)."""
    assert [f"[#deploys] bot: 🔒 {STACK} locked by @emil: bad deploy, rolling back"] == conv.say(
        f"spy shipit lock {STACK} bad deploy, rolling back", user="emil", channel="deploys"
    )
    assert [
        f"[#deploys] bot: 🔒 {STACK} locked by @emil: bad deploy, rolling back "
        "(since 2017-02-23 22:42:36 UTC)"
    ] == conv.say("!shipit locks", user="ana", channel="deploys")
    assert [f"[#deploys] bot: 🔓 {STACK} unlocked"] == conv.say(
        f"spy shipit unlock {STACK}", user="emil", channel="deploys"
    )
    assert ["[#deploys] bot: 🔓 No stack is locked."] == conv.say(
        "spy shipit locks", user="ana", channel="deploys"
    )


def test_a_locked_stack_refuses_a_second_lock_and_unlocking_a_free_one_says_so(
    conv: Conversation,
) -> None:
    conv.say("spy shipit lock api", user="emil", channel="deploys")
    assert [
        "[#deploys] bot (to @ana): 🔒 api is already locked by @emil "
        "(since 2017-02-23 22:42:36 UTC)."
    ] == conv.say("spy shipit lock api hotfix", user="ana", channel="deploys")
    assert ["[#deploys] bot (to @ana): web is not locked."] == conv.say(
        "spy shipit unlock web", user="ana", channel="deploys"
    )


def test_known_stacks_catch_typos_and_bad_input_gets_usage(
    conv: Conversation, settings: Settings
) -> None:
    settings.deploy.stacks = [STACK, "shopify/shopify/staging"]
    lines = conv.say("spy shipit lock shopify/shopfy/production", user="emil", channel="deploys")
    assert [
        "[#deploys] bot (to @emil): I don't know the stack `shopify/shopfy/production`. "
        f"Known stacks: {STACK}, shopify/shopify/staging."
    ] == lines
    assert "Which stack?" in conv.say("spy shipit lock", user="emil", channel="deploys")[0]
    assert "is not a command" in conv.say("spy shipit fly", user="emil", channel="deploys")[0]
    assert (
        "is not a stack name"
        in conv.say("spy shipit unlock <!channel>", user="emil", channel="deploys")[0]
    )


def test_help_lists_the_shipit_commands(conv: Conversation) -> None:
    text = "\n".join(conv.say("spy help shipit", user="emil"))
    assert "shipit lock <stack> [reason]" in text
    assert "shipit unlock <stack>" in text


def test_an_incident_locks_its_stacks_and_asks_at_stop(
    conv: Conversation, settings: Settings
) -> None:
    """`deploy.lock_on_incident`: locked at start on the timeline; at stop the channel is asked;
    tldr and the report list the locks."""
    settings.deploy.lock_on_incident = [STACK]
    start = conv.say("spy incident start me checkout is down", user="daniella")
    assert f"[#war-room] bot: 🔒 {STACK} locked by @daniella: INC-1: checkout is down" in start
    tldr = "\n".join(conv.say("spy incident tldr", user="daniella"))
    assert f"Note: 🔒 Locked deploys of {STACK}: INC-1: checkout is down" in tldr
    stop = conv.say("spy incident stop", user="daniella")
    assert (
        f"[#war-room] bot: 🔒 Still locked for INC-1: {STACK}. Unlock deploys when it is safe: "
        f"`shipit unlock {STACK}`"
    ) in stop
    report = settings.reports.resolved_dir() / "2017-02-23-inc-1-checkout-is-down.md"
    assert f"Locked deploys of {STACK}" in report.read_text()
    assert [f"[#war-room] bot: 🔓 {STACK} unlocked"] == conv.say(
        f"spy shipit unlock {STACK}", user="daniella"
    )
    assert f"Unlocked deploys of {STACK}" in "\n".join(conv.say("spy incident 1 tldr", user="x"))


def test_an_incident_unlocks_at_stop_by_configuration(
    conv: Conversation, settings: Settings
) -> None:
    settings.deploy.lock_on_incident = ["api"]
    settings.deploy.team_locks = {"support": ["web"]}
    settings.deploy.on_stop = "unlock"
    conv.say("spy shipit lock web release freeze", user="ana", channel="deploys")
    start = conv.say("spy incident start me refunds fail", user="bob", channel="support")
    assert "[#support] bot: 🔒 api locked by @bob: INC-1: refunds fail" in start
    assert any("web is already locked by @ana: release freeze" in x for x in start)
    stop = conv.say("spy incident stop", user="bob", channel="support")
    assert "[#support] bot: 🔓 api unlocked" in stop
    assert ["[#x] bot: 🔒 web locked by @ana: release freeze (since 2017-02-23 22:42:36 UTC)"] == (
        conv.say("spy shipit locks", user="ana", channel="x")
    )


@pytest.mark.postgres
def test_lock_unlock_race_on_postgresql(pg_url: str, settings: Settings, clock: FixedClock) -> None:
    """Eight replicas lock and unlock one stack at once, 25 times each: every lock a replica
    was told it took was free, and every unlock released a lock someone held."""
    apps = [App(sessions=connect(pg_url), settings=settings, clock=clock) for _ in range(8)]
    try:
        _race(apps)
    finally:
        for app in apps:
            app.sessions.kw["bind"].dispose()


def _race(apps: list[App]) -> None:
    outcomes: list[str] = []
    guard = threading.Lock()
    barrier = threading.Barrier(len(apps))

    def replica(i: int, app: App) -> None:
        msg = ChatMessage(platform="shell", user=f"u{i}", channel="deploys", text="")
        barrier.wait()
        for _ in range(25):
            for command in (LockStack("api", "race"), UnlockStack("api")):
                lines = [str(d.effect) for d in app.execute(command, msg)]
                with guard:
                    outcomes.extend(lines)

    threads = [threading.Thread(target=replica, args=(i, a)) for i, a in enumerate(apps)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    taken = sum("locked by" in o and "already" not in o for o in outcomes)
    released = sum("🔓 api unlocked" in o for o in outcomes)
    assert taken > 0
    # Every lock was released by exactly one unlock, or is still held.
    with apps[0].sessions() as session:
        still = len(locks.held(session=session))
    assert taken == released + still
