"""Follow-up: action items (also after stop) in the report, their Jira issues, and the review
reminders after stop."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from helpers import MakeConversation
from warroom.config import Settings
from warroom.testing import Conversation, FixedClock


@dataclass
class FakeTracker:
    """Opens an issue per key once, as Jira with our idempotency key does."""

    issues: dict[str, str] = field(default_factory=dict)

    async def open_issue(self, *, key: str, summary: str, description: str) -> str:
        return self.issues.setdefault(
            key, f"https://jira.example/browse/OPS-{len(self.issues) + 1}"
        )


@pytest.fixture
def aconv(settings: Settings, make_conversation: MakeConversation) -> Conversation:
    settings.reminders = []
    settings.status.on_start_stop = False
    return make_conversation(settings=settings)


def test_action_items_are_recorded_listed_done_and_in_the_report(aconv: Conversation) -> None:
    aconv.say("spy incident start me checkout is down", user="daniella")
    assert [
        "[#war-room] bot: 📌 Action item 1 of INC-1: add an alert on queue depth — @bob"
    ] == aconv.say("spy incident action add an alert on queue depth @bob", user="daniella")
    aconv.say("spy incident stop", user="daniella")
    # after stop too: the post-mortem is when most are found
    aconv.say("spy incident 1 action write the runbook", user="ana", channel="general")
    assert [
        "[#general] bot: Open action items of INC-1:",
        "[#general] bot: ☐ 1. add an alert on queue depth — @bob",
        "[#general] bot: ☐ 2. write the runbook",
    ] == aconv.say("spy incident actions 1", user="ana", channel="general")
    assert [
        "[#general] bot: ✅ Action item 1 of INC-1 is done: add an alert on queue depth"
    ] == aconv.say("spy incident 1 action done 1", user="bob", channel="general")
    assert (
        "INC-1 has no action 7"
        in aconv.say("spy incident 1 action done 7", user="bob", channel="general")[0]
    )
    assert (
        "is done already"
        in aconv.say("spy incident 1 action done 1", user="bob", channel="general")[0]
    )
    report = aconv.say("spy incident report 1", user="ana", channel="general")
    assert "[#general] bot: - [x] 1. add an alert on queue depth (@bob)" in report
    assert "[#general] bot: - [ ] 2. write the runbook" in report


def test_an_action_needs_text(aconv: Conversation) -> None:
    aconv.say("spy incident start me checkout is down", user="daniella")
    assert "What should be done?" in aconv.say("spy incident action @bob", user="daniella")[0]
    assert "Which action?" in aconv.say("spy incident action done x", user="daniella")[0]


def test_review_reminders_after_stop(
    settings: Settings, make_conversation: MakeConversation, clock: FixedClock
) -> None:
    settings.reminders = []
    settings.status.on_start_stop = False
    settings.review.after_stop = 3600
    settings.review.actions_after = 7 * 86400
    conv = make_conversation(settings=settings)
    conv.say("spy incident start me checkout is down", user="daniella")
    conv.say("spy incident action fix retries @bob", user="daniella")
    conv.say("spy incident stop", user="daniella")
    clock.advance(seconds=3600)
    assert [
        "[#war-room] bot: 📅 @daniella: INC-1 (checkout is down), is stopped; schedule its "
        "review. Record follow-ups with `incident action <text> [@owner]`."
    ] == conv.run_timers()
    clock.advance(days=7)
    assert [
        "[#war-room] bot: 📌 Action items of INC-1 still open (`incident 1 action done N`):",
        "[#war-room] bot: ☐ 1. fix retries — @bob",
    ] == conv.run_timers()


def test_each_action_item_gets_one_jira_issue_linked_from_the_report(
    settings: Settings, make_conversation: MakeConversation
) -> None:
    settings.reminders = []
    settings.status.on_start_stop = False
    settings.jira.url = "https://jira.example"
    settings.jira.project = "OPS"
    tracker = FakeTracker()
    conv = make_conversation(settings=settings, tracker=tracker)
    conv.say("spy incident start me checkout is down", user="daniella")
    lines = conv.say("spy incident action fix retries @bob", user="daniella")
    assert "[#war-room] bot: 🎫 Jira issue for INC-1: https://jira.example/browse/OPS-1" in lines
    assert ["warroom-inc1-action1"] == list(tracker.issues)
    report = conv.say("spy incident report", user="daniella")
    assert (
        "[#war-room] bot: - [ ] 1. fix retries (@bob, https://jira.example/browse/OPS-1)" in report
    )
