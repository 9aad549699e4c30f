"""Follow-up: action items (also after stop) in the report, their Jira issues, and the review
reminders after stop."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from helpers import MakeConversation, jira_transition
from warroom.config import Settings
from warroom.providers.jira import JiraTracker
from warroom.store.tables import OutboxRow
from warroom.telemetry import REGISTRY
from warroom.testing import Conversation, FixedClock
from warroom.testing.vendors import FakeJira


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


@pytest.fixture
def jconv(settings: Settings, jira: FakeJira, make_conversation: MakeConversation) -> Conversation:
    """Action items with Jira (a fake Jira Cloud on 127.0.0.1), read back every 5 minutes."""
    settings.reminders = []
    settings.status.on_start_stop = False
    settings.jira.url, settings.jira.project = jira.url, "OPS"
    settings.jira.sync_seconds = 300
    settings.paging.backoff_seconds = 0.01  # Jira's 5xx are retried: quickly here
    tracker = JiraTracker(
        url=jira.url, project="OPS", issue_type="Task", email="bot@example.com",
        api_token="jira-token", timeout=5,
    )  # fmt: skip
    conv = make_conversation(settings=settings, tracker=tracker, closing=[tracker])
    conv.app.ensure_oncall_timers("shell")  # as `Runtime.start` does
    return conv


def test_each_action_item_gets_one_jira_issue_linked_from_the_report(
    jconv: Conversation, jira: FakeJira
) -> None:
    jconv.say("spy incident start me checkout is down", user="daniella")
    lines = jconv.say("spy incident action fix retries @bob", user="daniella")
    link = f"{jira.url}/browse/OPS-1"
    assert f"[#war-room] bot: 🎫 Jira issue for action item 1 of INC-1: {link}" in lines
    [issue] = jira.issues
    assert ["warroom-inc1-action1"] == issue["fields"]["labels"]
    assert "INC-1 follow-up: fix retries" == issue["fields"]["summary"]
    report = jconv.say("spy incident report", user="daniella")
    assert f"[#war-room] bot: - [ ] 1. fix retries (@bob, {link})" in report
    assert any(f"Jira issue for action item 1 of INC-1: {link}" in line for line in report)


def test_an_action_item_follows_its_jira_issue(
    jconv: Conversation, jira: FakeJira, clock: FixedClock
) -> None:
    """Done in Jira: done here, said in the war room and on the timeline; reopened in Jira:
    open again. Nothing changes until the next read (every `jira.sync_seconds`)."""
    jconv.say("spy incident start me checkout is down", user="daniella")
    jconv.say("spy incident action fix retries @bob", user="daniella")
    jconv.say("spy incident action write the runbook", user="daniella")
    jconv.say("spy incident stop", user="daniella")
    assert 204 == jira_transition(jira, "OPS-1", "31").status_code
    assert [] == jconv.run_timers()  # not read yet
    clock.advance(seconds=300)
    assert [
        "[#war-room] bot: ✅ Action item 1 of INC-1 is done in Jira (OPS-1: Done): fix retries"
    ] == jconv.run_timers()
    assert [
        "[#war-room] bot: Open action items of INC-1:",
        "[#war-room] bot: ☐ 2. write the runbook (" + f"{jira.url}/browse/OPS-2)",
    ] == jconv.say("spy incident 1 actions", user="daniella")
    report = jconv.say("spy incident 1 report", user="daniella")
    assert any("- [x] 1. fix retries (@bob, " in line for line in report)
    assert any("Action item 1 done in Jira (OPS-1: Done)" in line for line in report)
    clock.advance(seconds=300)
    assert [] == jconv.run_timers()  # told once
    assert 204 == jira_transition(jira, "OPS-1", "21").status_code
    clock.advance(seconds=300)
    assert [
        "[#war-room] bot: ☐ Action item 1 of INC-1 is open again in Jira (OPS-1: In Progress): "
        "fix retries"
    ] == jconv.run_timers()
    assert any(
        "☐ 1. fix retries" in line for line in jconv.say("spy incident 1 actions", user="ana")
    )


def test_done_in_chat_stays_done_and_says_the_issue_is_unchanged(
    jconv: Conversation, jira: FakeJira, clock: FixedClock
) -> None:
    jconv.say("spy incident start me checkout is down", user="daniella")
    jconv.say("spy incident action fix retries @bob", user="daniella")
    assert [
        "[#war-room] bot: ✅ Action item 1 of INC-1 is done: fix retries",
        f"[#war-room] bot: Its Jira issue is unchanged: {jira.url}/browse/OPS-1",
    ] == jconv.say("spy incident action done 1", user="daniella")
    assert "To Do" == jira.issues[0]["fields"]["status"]["name"]
    clock.advance(seconds=300)
    assert [] == jconv.run_timers()
    assert "No open action items" in jconv.say("spy incident actions", user="daniella")[0]
    # A closed item is not asked about: nothing is open and Jira did not close it.
    assert [] == jira.calls("POST", "/rest/api/3/search/jql")


def test_jira_down_at_a_read_changes_nothing_and_the_next_read_catches_up(
    jconv: Conversation, jira: FakeJira, clock: FixedClock
) -> None:
    jconv.say("spy incident start me checkout is down", user="daniella")
    jconv.say("spy incident action fix retries @bob", user="daniella")
    jira_transition(jira, "OPS-1", "41")
    jira.faults = [503] * 10
    failed = REGISTRY.get_sample_value("warroom_tracker_reads_failed_total") or 0
    clock.advance(seconds=300)
    assert [] == jconv.run_timers()
    assert failed + 1 == REGISTRY.get_sample_value("warroom_tracker_reads_failed_total")
    assert 4 == len(jira.calls("POST", "/rest/api/3/search/jql"))  # tried, then retried 3 times
    assert "☐ 1. fix retries" in jconv.say("spy incident actions", user="daniella")[1]
    jira.faults = []
    clock.advance(seconds=300)
    assert [
        "[#war-room] bot: ✅ Action item 1 of INC-1 is done in Jira (OPS-1: Won't Do): fix retries"
    ] == jconv.run_timers()


def test_an_issue_deleted_in_jira_leaves_its_item_as_it_is(
    jconv: Conversation, jira: FakeJira, clock: FixedClock
) -> None:
    jconv.say("spy incident start me checkout is down", user="daniella")
    jconv.say("spy incident action fix retries @bob", user="daniella")
    jira.issues.clear()
    clock.advance(seconds=300)
    assert [] == jconv.run_timers()
    assert "☐ 1. fix retries" in jconv.say("spy incident actions", user="daniella")[1]


def test_every_followed_item_is_read_500_to_a_read(
    jconv: Conversation, jira: FakeJira, clock: FixedClock
) -> None:
    """1,001 open items with issues: three reads (500, 500, 1), each in searches of 50 labels;
    an item done in chat is not asked about."""
    from warroom.core import actions as core
    from warroom.store import actions as store

    jconv.say("spy incident start me checkout is down", user="daniella")
    with jconv.app.sessions.begin() as session:
        for number in range(1, 1003):
            item = core.new(incident_id=1, number=number, text=f"item {number}", owner=None,
                            actor="daniella", now=clock.now())  # fmt: skip
            store.add(item, session=session)
            store.set_link(1, number, f"{jira.url}/browse/OPS-{number}", session=session)
        store.mark_done(core.done(item, actor="daniella", now=clock.now()), session=session)
    clock.advance(seconds=300)
    assert [] == jconv.run_timers()  # Jira has none of these issues: nothing changes
    searches = jira.calls("POST", "/rest/api/3/search/jql")
    labels = [s.body["jql"].count('"warroom-') for s in searches]
    assert 1001 == sum(labels)
    assert [50] * 20 + [1] == sorted(labels, reverse=True)
    assert '"warroom-inc1-action1002"' not in " ".join(s.body["jql"] for s in searches)
    with jconv.app.sessions() as session:
        reads = session.scalars(
            select(OutboxRow).where(OutboxRow.kind == "issues").order_by(OutboxRow.id)
        ).all()
    assert [500, 500, 1] == [len(json.loads(r.payload)["keys"]) for r in reads]
    assert all(r.delivered_at is not None for r in reads)  # each marked with its outcome


def test_an_item_whose_issue_could_not_be_opened_gets_it_at_a_later_read(
    jconv: Conversation, jira: FakeJira, clock: FixedClock
) -> None:
    """Jira down when the item is recorded: said once; each read once the item is 5 minutes
    old tries again, quietly, until the issue is opened, which is told; then never again."""
    jconv.say("spy incident start sev3 me checkout is down", user="daniella")
    jira.faults = [503] * 4
    lines = jconv.say("spy incident action fix retries @bob", user="daniella")
    assert (
        "[#war-room] bot: ⚠ Could not open a Jira issue for action item 1 of INC-1 "
        "(Jira failed (503))."
    ) in lines
    jira.faults = [503] * 4
    tried = len(jira.requests)
    clock.advance(seconds=299)
    assert [] == jconv.run_timers()
    assert tried == len(jira.requests)  # under 5 minutes old: left to its first try
    clock.advance(seconds=301)
    assert [] == jconv.run_timers()  # tried again, still down: not said again
    assert tried + 4 == len(jira.requests)
    assert [] == jira.issues
    clock.advance(seconds=300)
    link = f"{jira.url}/browse/OPS-1"
    assert [f"[#war-room] bot: 🎫 Jira issue for action item 1 of INC-1: {link}"] == (
        jconv.run_timers()
    )
    clock.advance(seconds=300)
    assert [] == jconv.run_timers()
    assert 1 == len(jira.issues)
    assert f"☐ 1. fix retries — @bob ({link})" in jconv.say("spy incident actions", user="ana")[1]


def test_an_item_jira_closed_is_watched_for_30_days(
    jconv: Conversation, jira: FakeJira, clock: FixedClock
) -> None:
    jconv.say("spy incident start me checkout is down", user="daniella")
    jconv.say("spy incident action fix retries @bob", user="daniella")
    jconv.say("spy incident stop", user="daniella")
    jira_transition(jira, "OPS-1", "31")
    clock.advance(seconds=300)
    assert 1 == len(jconv.run_timers())  # done in Jira
    clock.advance(days=30, seconds=300)
    jira_transition(jira, "OPS-1", "21")
    searched = len(jira.calls("POST", "/rest/api/3/search/jql"))
    assert [] == jconv.run_timers()
    assert searched == len(jira.calls("POST", "/rest/api/3/search/jql"))  # not asked about
    assert "No open action items" in jconv.say("spy incident 1 actions", user="ana")[0]
