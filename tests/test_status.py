"""Status: the components report from real HTTP sources, stalking posts only changes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from health_server import HealthServer
from helpers import MakeConversation
from warroom.app.service import App
from warroom.config import Settings, StatusSourceSettings
from warroom.providers.status import StatusChecker
from warroom.testing import Conversation, FixedClock


@pytest.fixture
def server() -> Iterator[HealthServer]:
    running = HealthServer()
    yield running
    running.close()


@pytest.fixture
def sources(server: HealthServer, settings: Settings) -> Settings:
    settings.status.sources = [
        StatusSourceSettings(name="API", url=f"{server.url}/health"),
        StatusSourceSettings(
            name="Storefront", url=f"{server.url}/health-json", json_field="status", json_value="ok"
        ),
        StatusSourceSettings(name="Shop status", kind="statuspage", url=f"{server.url}/statuspage"),
    ]
    settings.reminders = []
    return settings


@pytest.fixture
def sconv(app: App, sources: Settings, make_conversation: MakeConversation) -> Conversation:
    checker = StatusChecker(sources.status.sources)
    return make_conversation(app, status=checker, closing=[checker])


def test_status_reports_components_and_the_overall_word(
    sconv: Conversation, server: HealthServer
) -> None:
    assert [
        "[#war-room] bot: Status: NORMAL",
        "[#war-room] bot: *** Components Report ***",
        "[#war-room] bot: API : operational",
        "[#war-room] bot: Storefront : operational",
        "[#war-room] bot: Admin : operational",
        "[#war-room] bot: Checkout : operational",
    ] == sconv.say("!status", user="daniella")
    server.healthy = False
    server.statuspage["components"][1]["status"] = "major_outage"
    lines = sconv.say("!status", user="daniella")
    assert "[#war-room] bot: Status: DOWN" == lines[0]
    assert "[#war-room] bot: API : major outage (HTTP 503, expected 2xx)" in lines
    assert (
        "[#war-room] bot: Storefront : major outage (status is 'failing', expected 'ok')" in lines
    )


def test_a_hanging_source_is_cut_off_and_reported_while_others_answer(
    app: App, settings: Settings, server: HealthServer, make_conversation: MakeConversation
) -> None:
    settings.status.sources = [
        StatusSourceSettings(name="Slow", url=f"{server.url}/slow", timeout=1),
        StatusSourceSettings(name="API", url=f"{server.url}/health"),
        StatusSourceSettings(name="Gone", url="http://127.0.0.1:1/health"),
    ]
    checker = StatusChecker(settings.status.sources)
    conv = make_conversation(app, status=checker, closing=[checker])
    lines = conv.say("warroom status", user="daniella", dm=True)
    assert [
        "[dm @daniella] bot: Status: DEGRADED",
        "[dm @daniella] bot: *** Components Report ***",
        "[dm @daniella] bot: Slow : unable to check (no answer within 1s)",
        "[dm @daniella] bot: API : operational",
        "[dm @daniella] bot: Gone : unable to check (connection refused or unreachable)",
        "[dm @daniella] bot: ⚠ Could not check Slow, Gone: that itself may be a sign of trouble.",
    ] == lines


def test_status_incidents_lists_the_unresolved_ones(
    sconv: Conversation, server: HealthServer
) -> None:
    assert [
        "[#war-room] bot: *** Unresolved Incidents Report ***",
        "[#war-room] bot: No reported unresolved incidents.",
    ] == sconv.say("!status incidents", user="daniella")
    server.statuspage["incidents"] = [
        {"name": "Checkout errors", "status": "investigating"},
        {"name": "Old one", "status": "resolved"},
    ]
    assert [
        "[#war-room] bot: *** Unresolved Incidents Report ***",
        "[#war-room] bot: Checkout errors (investigating, Shop status)",
    ] == sconv.say("!status incidents", user="daniella")


def test_stalking_posts_only_what_changed(
    sconv: Conversation, server: HealthServer, clock: FixedClock
) -> None:
    assert [
        "[#war-room] bot: 👀 Stalking the status here every 30s: I'll post only what changes. "
        "`status unstalk` stops it."
    ] == sconv.say("!status stalk", user="daniella")
    baseline = sconv.run_timers()
    assert "[#war-room] bot: 📡 Stalking; the status now:" == baseline[0]
    clock.advance(seconds=30)
    assert [] == sconv.run_timers()  # unchanged: silent
    server.healthy = False
    clock.advance(seconds=30)
    assert [
        "[#war-room] bot: 📡 Status changed:",
        "[#war-room] bot: Overall: NORMAL → DOWN",
        "[#war-room] bot: API : operational → major outage",
        "[#war-room] bot: Storefront : operational → major outage",
    ] == sconv.run_timers()
    clock.advance(seconds=30)
    assert [] == sconv.run_timers()
    server.healthy = True
    clock.advance(seconds=30)
    assert "[#war-room] bot: Overall: DOWN → NORMAL" in sconv.run_timers()
    assert [
        "[#war-room] bot (to @daniella): I'm already stalking the status here every 30s; "
        "`status unstalk` stops it."
    ] == sconv.say("!status stalk 10s", user="daniella")
    assert ["[#war-room] bot: 🙈 Stopped stalking the status here."] == sconv.say(
        "!status unstalk", user="daniella"
    )
    server.healthy = False
    clock.advance(minutes=5)
    assert [] == sconv.run_timers()
    assert ["[#war-room] bot (to @daniella): I'm not stalking the status here."] == sconv.say(
        "!status unstalk", user="daniella"
    )


def test_incident_start_and_stop_post_the_status_summary(sconv: Conversation) -> None:
    start = sconv.say("warroom incident start me checkout is down", user="daniella")
    assert "[#war-room] topic: 🔥 @daniella is IMOC for incident: checkout is down" in start
    assert "[#war-room] bot: Status Page Summary" in start
    assert "[#war-room] bot: No reported unresolved incidents." == start[-1]
    stop = sconv.say("warroom incident stop", user="daniella")
    assert "[#war-room] bot: Status Page Summary" in stop


def test_a_third_partys_status_joins_the_report_and_the_timeline(sconv: Conversation) -> None:
    sconv.say("warroom incident start me payments failing", user="daniella")
    assert [
        "[#war-room] bot: 📝 Recorded: stripe is degraded for card payments (on the timeline of INC-1)."
    ] == sconv.say("spy status stripe degraded for card payments", user="felix")
    report = sconv.say("spy status", user="felix")
    assert "[#war-room] bot: Status: DEGRADED" == report[0]
    assert (
        "[#war-room] bot: stripe (card payments) : degraded performance (reported by @felix)"
        in report
    )
    tldr = sconv.say("spy incident tldr", user="felix")
    assert any(": @felix: Third party stripe: degraded for card payments" in line for line in tldr)
    assert [
        "[#war-room] bot (to @felix): `status stripe` is not a status command.",
        "[#war-room] bot (to @felix): Usage: `status, status incidents, status stalk [INTERVAL], "
        "status unstalk, status <provider> <status> for <feature>`",
    ] == sconv.say("spy status stripe", user="felix")


def test_every_hanging_source_is_cut_off_by_its_own_timeout(server: HealthServer) -> None:
    """Each hanging source is reported with the reason, none blocks the others' answers."""
    sources = [
        StatusSourceSettings(name=f"S{i}", url=f"{server.url}/slow", timeout=1) for i in range(3)
    ]
    checker = StatusChecker(sources)

    async def run() -> list[str]:
        try:
            snapshot = await checker.snapshot()
        finally:
            await checker.aclose()
        return [c.detail for c in snapshot.components]

    assert ["no answer within 1s"] * 3 == asyncio.run(run())
