"""Service levels in chat: impacts, `slo`, `slo <service>`, probes on durable timers, burn-rate
alerts once per episode, and the budget an incident spent in its report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from helpers import MakeApp, MakeConversation
from paging_config import with_roster
from warroom.cli import main
from warroom.config import Settings, StatusSourceSettings, load
from warroom.config.services import BurnRuleSettings, ServiceSettings
from warroom.core.slo import Counts
from warroom.core.status import Component, Health, Snapshot
from warroom.render.slo import CSV_HEADER
from warroom.store import slo as store
from warroom.store.tables import SloMinutesRow
from warroom.testing import Conversation, FixedClock
from warroom.wiring import open_app


def by_place(lines: list[str]) -> list[str]:
    """Lines grouped by where they happened, in order within each (a page's DMs may come
    before or after the channel's posts)."""
    return sorted(lines, key=lambda text: text.split("]", 1)[0])


@dataclass
class FakeStatus:
    """A status source whose health the test sets."""

    health: dict[str, Health] = field(default_factory=dict)
    checks: int = 0

    async def snapshot(self) -> Snapshot:
        self.checks += 1
        return Snapshot(tuple(Component(name, h) for name, h in self.health.items()))


@pytest.fixture
def slo_settings(settings: Settings) -> Settings:
    settings.reminders = []
    settings.status.on_start_stop = False
    settings.status.sources = [
        StatusSourceSettings(name="checkout-health", url="http://127.0.0.1:1/h")
    ]
    settings.services = {
        "checkout": ServiceSettings(objective=99, window="1d", sla=95, team="support"),
        "search": ServiceSettings(
            objective=99.9, window="1d", probes=["checkout-health"], incidents=False
        ),
    }
    return settings


@pytest.fixture
def status() -> FakeStatus:
    return FakeStatus({"checkout-health": Health.OPERATIONAL})


@pytest.fixture
def conv(
    slo_settings: Settings, status: FakeStatus, make_conversation: MakeConversation
) -> Conversation:
    made = make_conversation(settings=slo_settings, status=status)
    made.app.ensure_oncall_timers("shell")  # as `Runtime.start` does: probes and burn checks
    return made


def test_an_incident_spends_the_budget_of_the_service_it_hurts(
    conv: Conversation, clock: FixedClock
) -> None:
    """10 minutes of full impact on a 1-day window at 99%: availability 1 - 10/1440 = 99.306%,
    budget 14.4 min (14m 24s), 4.4 min left (4m 24s, 30.6%)."""
    conv.say("spy incident start me checkout is down --service checkout", user="daniella")
    conv.say("spy incident failures started 10m ago", user="daniella")
    conv.say("spy incident mitigated", user="daniella")
    lines = conv.say("spy slo", user="ana")
    assert (
        "[#war-room] bot: 🟢 checkout: 99.306% over 1d (objective 99%, SLA 95%): "
        "budget left 4m 24s of 14m 24s (30.6%)"
    ) == lines[1]
    detail = conv.say("spy slo checkout", user="ana")
    assert any(
        "INC-1 checkout is down: 10m 00s (69.4% of the budget), full impact" in x for x in detail
    )
    conv.say("spy incident stop", user="daniella")
    report = "\n".join(conv.say("spy incident report 1", user="daniella"))
    assert (
        "checkout: full impact, spent 10m 00s of error budget (69.4% of its 14m 24s budget at 99%)"
        in report
    )


def test_a_service_that_counts_probes_only_is_not_charged_for_incidents(
    conv: Conversation, clock: FixedClock
) -> None:
    """search has `incidents: false`: its budget is its probes'. An incident that hurts it is
    recorded, but neither the impact reply, nor `slo search`, nor the report says the incident
    spent search's budget (10 minutes would be 694% of its 1.44-minute budget at 99.9%); the
    report says its budget counts probes. checkout, counting incidents, is charged as before."""
    conv.say("spy incident start me search is down --service checkout", user="daniella")
    assert [
        "[#war-room] bot: 💥 INC-1 hurts search (full impact): recorded for the report; its "
        "error budget counts probes, not incidents."
    ] == conv.say("spy incident impact search", user="daniella")
    conv.say("spy incident failures started 10m ago", user="daniella")
    conv.say("spy incident mitigated", user="daniella")
    detail = conv.say("spy slo search", user="ana")
    assert not any("INC-1" in x for x in detail)
    assert (
        "[#war-room] bot: Its error budget counts probes, not incidents (`incidents: false`)."
    ) == detail[-1]
    conv.say("spy incident stop", user="daniella")
    report = "\n".join(conv.say("spy incident report 1", user="daniella"))
    assert "search: full impact; its error budget counts probes, not incidents" in report
    assert "search: full impact, spent" not in report
    assert (
        "checkout: full impact, spent 10m 00s of error budget (69.4% of its 14m 24s budget at 99%)"
        in report
    )


def test_partial_impact_and_overlapping_incidents(conv: Conversation, clock: FixedClock) -> None:
    """INC-1 full for 20 min; INC-2 partial (0.5) over the last 10 of them and 10 more:
    20 + 10 × 0.5 = 25 bad minutes, so 1 - 25/1440 = 98.264%, over the 99% objective's budget:
    the SLA (95%) is at risk."""
    conv.say("spy incident start me checkout is down", user="daniella")
    conv.say("spy incident impact checkout", user="daniella")
    conv.say("spy incident failures started 20m ago", user="daniella")
    conv.say("spy incident mitigated", user="daniella")
    conv.say("spy incident start me search is slow", user="ana", channel="war-room-2")
    assert [
        "[#war-room-2] bot: 💥 INC-2 hurts checkout (partial impact): its error budget counts the failures."
    ] == conv.say("spy incident impact checkout partial", user="ana", channel="war-room-2")
    conv.say("spy incident failures started 10m ago", user="ana", channel="war-room-2")
    clock.advance(minutes=10)
    conv.say("spy incident mitigated", user="ana", channel="war-room-2")
    lines = conv.say("spy slo", user="ana")
    assert lines[1].startswith("[#war-room] bot: 🟠 checkout: 98.264% over 1d")
    assert lines[1].endswith("budget overspent by 10m 36s (173.6% of 14m 24s spent); SLA at risk")


def test_slo_detail_gives_burn_rates_over_1h_and_6h_and_the_sla_at_risk(
    conv: Conversation, clock: FixedClock
) -> None:
    """Failures started 30 minutes ago and still going, at 99% over 1 day: 30 bad minutes.
    Over the last hour (30/60) / 0.01 = 50.0×; over 6 hours (30/360) / 0.01 = 8.3×. Over the
    day 1 - 30/1440 = 97.917%: below the objective (99%) but above the SLA (95%), so the SLA is
    at risk; budget 14.4 min, overspent by 30 - 14.4 = 15.6 min (15m 36s; 30/14.4 = 208.3%
    spent)."""
    conv.say("spy incident start me checkout is down --service checkout", user="daniella")
    conv.say("spy incident failures started 30m ago", user="daniella")
    assert [
        "[#war-room] bot: *Service level of checkout*",
        "[#war-room] bot: 🟠 checkout: 97.917% over 1d (objective 99%, SLA 95%): "
        "budget overspent by 15m 36s (208.3% of 14m 24s spent); SLA at risk",
        "[#war-room] bot:   incidents: 97.917%, 30.0 bad minutes of 1440 known",
        "[#war-room] bot: Burn rate: 1h 50.0×, 6h 8.3× (1× spends the budget exactly over the "
        "window).",
        "[#war-room] bot: Incidents that spent its budget:",
        "[#war-room] bot:   INC-1 checkout is down: 30m 00s (208.3% of the budget), full impact "
        "since 2017-02-23 22:12:36 UTC, not mitigated yet",
    ] == conv.say("spy slo checkout", user="ana")


def test_slo_detail_below_the_sla_says_it_is_breached(
    conv: Conversation, clock: FixedClock
) -> None:
    """80 minutes of failures, mitigated, then 30 quiet minutes, at 99% over 1 day. The last
    hour holds the incident's last 30 minutes: (30/60) / 0.01 = 50.0×; the last 6 hours hold
    all 80: (80/360) / 0.01 = 22.2×. Over the day 1 - 80/1440 = 94.444%, under the SLA (95%):
    breached; budget overspent by 80 - 14.4 = 65.6 min (1h 05m; 80/14.4 = 555.6% spent)."""
    conv.say("spy incident start me checkout is down --service checkout", user="daniella")
    conv.say("spy incident failures started 80m ago", user="daniella")
    conv.say("spy incident mitigated", user="daniella")
    clock.advance(minutes=30)
    detail = conv.say("spy slo checkout", user="ana")
    assert (
        "[#war-room] bot: 🔴 checkout: 94.444% over 1d (objective 99%, SLA 95%): "
        "budget overspent by 1h 05m (555.6% of 14m 24s spent); SLA breached"
    ) == detail[1]
    assert (
        "[#war-room] bot: Burn rate: 1h 50.0×, 6h 22.2× (1× spends the budget exactly over the "
        "window)."
    ) == detail[3]
    assert detail[5].endswith(
        "INC-1 checkout is down: 1h 20m (555.6% of the budget), full impact since "
        "2017-02-23 21:22:36 UTC"
    )
    assert "🔴 checkout: 94.444% over 1d" in conv.say("spy slo", user="ana")[1]


def test_unknown_services_and_levels_are_refused(conv: Conversation) -> None:
    conv.say("spy incident start me checkout is down", user="daniella")
    assert [
        "[#war-room] bot (to @daniella): I don't know the service `cart`. Services: checkout, search."
    ] == conv.say("spy incident impact cart", user="daniella")
    assert (
        "`full` (the default) or `partial`"
        in conv.say("spy incident impact checkout half", user="d")[0]
    )
    assert "I don't know the service `cart`" in conv.say("spy slo cart", user="d")[0]


def test_probes_are_sampled_on_timers_and_missing_ones_are_unknown(
    conv: Conversation, clock: FixedClock, status: FakeStatus
) -> None:
    """T0 is 22:42:36; probes come due at :43:00, :43:30, :44:00, :44:30 (every 30 s): 2 good,
    then 2 bad. 2 minutes are known, half the samples good: 50%, 1 bad minute."""
    for health in (Health.OPERATIONAL, Health.OPERATIONAL, Health.MAJOR, Health.MAJOR):
        status.health["checkout-health"] = health
        clock.advance(seconds=30)
        assert [] == conv.run_timers()
    assert 4 == status.checks
    detail = conv.say("spy slo search", user="ana")
    assert "[#war-room] bot:   probes: 50.000%, 1.0 bad minutes of 2 known, 1438 unknown" in detail
    assert "99.9% of the window unknown" in detail[1]


def test_no_probe_sample_means_unknown_not_good(conv: Conversation) -> None:
    lines = conv.say("spy slo", user="ana")
    assert (
        "[#war-room] bot: ⚪ search: unknown over 1d (objective 99.9%): nothing known yet "
        "(no probe sample in the window)."
    ) == lines[2]


def test_burn_rate_alerts_fire_once_per_episode_and_resolve(
    conv: Conversation, clock: FixedClock
) -> None:
    """At the first check, 10.5 bad minutes at 99%: over the last hour (10.5/60)/0.01 = 17.5×
    and over 5 min 100×, so the fast rule (14.4×) posts in the team's channel and pages it; the
    slow one (6×) does not fire: (10.5/360)/0.01 = 2.9× over 6 h. Once mitigated, 5 clean
    minutes resolve the fast burn."""
    conv.say("spy incident start me checkout is down --service checkout", user="daniella")
    conv.say("spy incident failures started 10m ago", user="daniella")
    clock.advance(seconds=30)
    assert [
        "[#support] bot: 🔥 checkout is burning its error budget 17.5× too fast (fast burn: "
        "≥ 14.4× over 1h 00m and 5m 00s; objective 99%). `slo checkout` shows the detail.",
        # the fixture's support team has no on-call schedule: the page says why it failed
        "[#support] bot: ⚠ Could not page support: I can't page `support`. "
        "Teams with an on-call schedule: imoc.",
    ] == conv.run_timers()
    clock.advance(minutes=1)
    assert [] == conv.run_timers()  # once per episode
    conv.say("spy incident mitigated", user="daniella")
    clock.advance(minutes=5)
    assert [
        "[#support] bot: ✅ checkout no longer burns its error budget too fast (fast burn stopped)."
    ] == conv.run_timers()


@pytest.fixture
def paged_conv(
    slo_settings: Settings, status: FakeStatus, make_conversation: MakeConversation
) -> Conversation:
    """The SLO fixture with the paging roster: checkout's team is `datastores`, on call by
    rotation (Carol at T0)."""
    slo_settings.services["checkout"].team = "datastores"
    made = make_conversation(settings=with_roster(slo_settings), status=status)
    made.app.ensure_oncall_timers("shell")
    return made


def test_a_fast_burn_pages_the_team_on_call_once_per_episode(
    paged_conv: Conversation, clock: FixedClock
) -> None:
    """10.5 bad minutes at the first check: 17.5× over 1 h (as above), so the fast rule posts
    in the team's channel and pages whoever is on call for it, by DM. Later checks in the same
    episode page nobody; once the burn has stopped, a new episode pages again."""
    conv = paged_conv
    conv.say("spy incident start me checkout is down --service checkout", user="daniella")
    conv.say("spy incident failures started 10m ago", user="daniella")
    clock.advance(seconds=30)
    assert by_place(
        [
            "[#datastores] bot: 🔥 checkout is burning its error budget 17.5× too fast (fast "
            "burn: ≥ 14.4× over 1h 00m and 5m 00s; objective 99%). `slo checkout` shows the "
            "detail.",
            "[#datastores] bot: 📟 Paging datastores (@carol) via the builtin roster: page #1.",
            "[dm @carol] bot: 📟 You are paged: checkout burns its error budget 17.5× too fast "
            "(fast burn)",
            "[dm @carol] bot: `pager list` shows the open pages; `pager ack <page>` acknowledges.",
        ]
    ) == by_place(conv.run_timers())
    clock.advance(minutes=1)
    assert [] == conv.run_timers()
    clock.advance(minutes=1)
    assert [] == conv.run_timers()
    conv.say("spy incident mitigated", user="daniella")
    clock.advance(minutes=5)
    assert [
        "[#datastores] bot: ✅ checkout no longer burns its error budget too fast (fast burn "
        "stopped)."
    ] == conv.run_timers()
    conv.say("spy incident start me checkout again --service checkout", user="ana", channel="w2")
    conv.say("spy incident failures started 10m ago", user="ana", channel="w2")
    clock.advance(minutes=1)
    again = conv.run_timers()
    assert "[#datastores] bot: 📟 Paging datastores (@carol) via the builtin roster: page #2." in (
        again
    )


def test_a_slow_burn_posts_in_the_team_channel_and_pages_nobody(
    paged_conv: Conversation, clock: FixedClock
) -> None:
    """30 minutes of failures, then 2 h 25 min later 5 more, checked 10 minutes after those:
    over 6 h (35/360) / 0.01 = 9.7× and over 30 min (5/30) / 0.01 = 16.7×, both at least 6×:
    the slow rule fires. Over 1 h only (5/60) / 0.01 = 8.3×, under 14.4×: the fast rule does
    not. The slow rule posts in the team's channel; nobody is paged though someone is on call."""
    conv = paged_conv
    conv.say("spy incident start me checkout is down --service checkout", user="daniella")
    conv.say("spy incident failures started 30m ago", user="daniella")
    conv.say("spy incident mitigated", user="daniella")
    conv.say("spy incident stop", user="daniella")
    clock.advance(hours=2, minutes=25)
    conv.say("spy incident start me checkout again --service checkout", user="ana", channel="w2")
    conv.say("spy incident failures started 5m ago", user="ana", channel="w2")
    conv.say("spy incident mitigated", user="ana", channel="w2")
    clock.advance(minutes=10)
    fired = conv.run_timers()
    # Dave's shift started at midnight: his on-call notice is due too, and is not a page.
    assert any(x.startswith("[dm @dave] bot: ⏰ You are on call for datastores") for x in fired)
    assert [
        "[#datastores] bot: 🔥 checkout is burning its error budget 9.7× too fast (slow burn: "
        "≥ 6× over 6h 00m and 30m 00s; objective 99%). `slo checkout` shows the detail."
    ] == [x for x in fired if "⏰" not in x]
    assert ["[#war-room] bot: No open pages."] == conv.say("spy pager list", user="daniella")


def test_a_configured_burn_rule_fires_at_its_own_factor(
    slo_settings: Settings,
    status: FakeStatus,
    make_conversation: MakeConversation,
    clock: FixedClock,
) -> None:
    """checkout's only rule is `gentle`: 2× over 1 h and 5 min, posting. cart keeps the
    defaults. One incident hurts both for 2.5 minutes at the first check: over 1 h
    (2.5/60) / 0.01 = 4.2×, over 5 min (2.5/5) / 0.01 = 50×, so `gentle` fires; the default
    fast rule (14.4× over 1 h) does not, nor the slow one ((2.5/360) / 0.01 = 0.7× over 6 h):
    cart's team hears nothing."""
    slo_settings.services["checkout"].burn = [
        BurnRuleSettings(name="gentle", factor=2, long=3600, short=300)
    ]
    slo_settings.services["cart"] = ServiceSettings(objective=99, window="1d", team="datastores")
    conv = make_conversation(settings=slo_settings, status=status)
    conv.app.ensure_oncall_timers("shell")
    conv.say("spy incident start me checkout is down --service checkout", user="daniella")
    conv.say("spy incident impact cart", user="daniella")
    conv.say("spy incident failures started 2m ago", user="daniella")
    clock.advance(seconds=30)
    assert [
        "[#support] bot: 🔥 checkout is burning its error budget 4.2× too fast (gentle burn: "
        "≥ 2× over 1h 00m and 5m 00s; objective 99%). `slo checkout` shows the detail."
    ] == conv.run_timers()


def test_sla_must_be_lower_than_the_objective() -> None:
    with pytest.raises(ValueError, match="an SLA should be less than the SLO so you have space"):
        ServiceSettings(objective=99, sla=99.5)


def test_warroom_slo_prints_the_levels_and_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make_conversation: MakeConversation
) -> None:
    """`warroom slo --csv`, on the real clock: 10 minutes of full impact in a 1-day window at
    99% leave 1 - 10/1440 = 99.3056% (the seconds the commands take shift the last digit)."""
    config = tmp_path / "c.yml"
    config.write_text(
        f"storage:\n  url: sqlite:///{tmp_path / 'w.db'}\nreminders: []\n"
        "status:\n  on_start_stop: false\n"
        "services:\n  checkout:\n    objective: 99\n    window: 1d\n    sla: 95\n"
    )
    settings, _ = load(config)
    conv = make_conversation(open_app(settings))
    conv.say("warroom incident start me checkout is down --service checkout", user="daniella")
    conv.say("warroom incident failures started 10m ago", user="daniella")
    conv.say("warroom incident mitigated", user="daniella")
    assert 0 == main(["slo", "--csv", "--config", str(config)])
    rows = capsys.readouterr().out.splitlines()
    assert ",".join(CSV_HEADER) == rows[0]
    assert rows[1].startswith("checkout,99,95,1,99.305")
    assert ",met,14.40,4.40,30.5" in rows[1] or ",met,14.40,4.39,30.5" in rows[1]
    assert 0 == main(["slo", "--config", str(config)])
    assert "🟢 checkout: 99.306% over 1d" in capsys.readouterr().out


def test_probe_counts_across_midnight_are_whole_minutes(make_app: MakeApp) -> None:
    """Samples at 23:59:10 (good), 23:59:40 (bad) and 00:00:20 (good): a window from 23:59:00
    to 00:00:30 holds both minutes (3 samples, 2 good); one starting at 23:59:30 leaves the
    minute it starts in out (1 sample); one ending at 00:00:00 leaves the next minute out."""
    app = make_app()
    day = datetime(2026, 11, 30, 23, 59, tzinfo=UTC)
    with app.uow.sessions() as session, session.begin():
        store.record({"s": (1, 1)}, day.replace(second=10), session=session)
        store.record({"s": (0, 1)}, day.replace(second=40), session=session)
        store.record({"s": (1, 1)}, datetime(2026, 12, 1, 0, 0, 20, tzinfo=UTC), session=session)
    midnight = datetime(2026, 12, 1, tzinfo=UTC)
    with app.uow.sessions() as session:
        assert (
            Counts(2, 3, 2)
            == store.counts(["s"], day, midnight.replace(second=30), session=session)["s"]
        )
        assert (
            Counts(1, 1, 1)
            == store.counts(
                ["s"], day.replace(second=30), midnight.replace(second=30), session=session
            )["s"]
        )
        assert Counts(1, 2, 1) == store.counts(["s"], day, midnight, session=session)["s"]


def test_probe_samples_older_than_every_window_are_forgotten(
    conv: Conversation, clock: FixedClock
) -> None:
    """The windows are 1 day: a sample 3 days old is deleted at the next burn check, one from
    today is kept, so probe storage is one window per service, not growing for ever."""
    with conv.app.sessions.begin() as session:
        store.record({"search": (1, 1)}, clock.now(), session=session)
    clock.advance(days=3)
    with conv.app.sessions.begin() as session:
        store.record({"search": (1, 1)}, clock.now(), session=session)
    clock.advance(minutes=2)
    conv.run_timers()
    with conv.app.sessions() as session:
        days = sorted(row.day for row in session.scalars(select(SloMinutesRow)))
    assert [store.day_of(clock.now())[0]] == days


def test_a_service_below_its_objective_without_an_sla_says_objective_missed(
    slo_settings: Settings, status: FakeStatus, make_conversation: MakeConversation
) -> None:
    """cart (99% over 1 day, no SLA) hurt for 20 minutes: 1 - 20/1440 = 98.611%, under 99%; the
    budget is 14.4 minutes (14m 24s), overspent by 5.6 minutes (5m 36s)."""
    slo_settings.services["cart"] = ServiceSettings(objective=99, window="1d")
    conv = make_conversation(settings=slo_settings, status=status)
    conv.say("spy incident start me cart is down --service cart", user="daniella")
    conv.say("spy incident failures started 20m ago", user="daniella")
    conv.say("spy incident mitigated", user="daniella")
    assert (
        "[#war-room] bot: 🟠 cart: 98.611% over 1d (objective 99%): budget overspent by 5m 36s "
        "(138.9% of 14m 24s spent); objective missed"
    ) == conv.say("spy slo cart", user="ana")[1]
