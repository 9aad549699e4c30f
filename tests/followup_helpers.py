"""An incident with everything issue 16 adds (a severity, an impact on a service with a 1-day
window at 99%, two action items with Jira issues, one done, an open burn-rate alert), for the
API and dashboard tests. The settings are tests/test_slo.py's."""

from __future__ import annotations

from dataclasses import dataclass, field

from helpers import MakeConversation
from warroom.config import Settings, StatusSourceSettings
from warroom.config.services import ServiceSettings
from warroom.core.status import Component, Health, Snapshot
from warroom.providers.jira import JiraTracker
from warroom.testing import Conversation, FixedClock
from warroom.testing.vendors import FakeJira

SCRIPT = "<script>alert(1)</script>"


@dataclass
class FakeStatus:
    health: dict[str, Health] = field(default_factory=dict)

    async def snapshot(self) -> Snapshot:
        return Snapshot(tuple(Component(name, h) for name, h in self.health.items()))


def followup_conversation(
    settings: Settings, jira: FakeJira, make_conversation: MakeConversation
) -> Conversation:
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
    settings.jira.url, settings.jira.project = jira.url, "OPS"
    tracker = JiraTracker(
        url=jira.url, project="OPS", issue_type="Task", email="bot@example.com",
        api_token="jira-token", timeout=5,
    )  # fmt: skip
    status = FakeStatus({"checkout-health": Health.OPERATIONAL})
    conv = make_conversation(settings=settings, tracker=tracker, status=status, closing=[tracker])
    conv.app.ensure_oncall_timers("shell")  # as `Runtime.start` does: probes, burn checks
    return conv


def incident_with_followup(conv: Conversation, clock: FixedClock) -> None:
    """T0 (22:42:36): INC-1, sev3, full impact on checkout since 10 minutes ago; action items
    1 (done) and 2 (its text a script tag). At T0 + 30 s the first burn check finds 10.5 bad
    minutes in the last hour, (10.5 / 60) / 1% = 17.5× (the fast rule fires), and the first
    probe finds search operational; then the incident is mitigated: 10.5 bad minutes in all."""
    say = conv.say
    say("spy incident start sev3 me checkout is down --service checkout", user="daniella")
    say("spy incident failures started 10m ago", user="daniella")
    say("spy incident action fix retries @bob", user="daniella")
    say(f"spy incident action write the {SCRIPT} runbook", user="daniella")
    say("spy incident action done 1", user="daniella")
    clock.advance(seconds=30)
    conv.run_timers()
    say("spy incident mitigated", user="daniella")
