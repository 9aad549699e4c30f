"""The Jira tracker: an issue per incident opened by `!ir page`, against a fake Jira server."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from helpers import MakeConversation, jira_transition
from paging_config import with_roster
from warroom.app.service import App
from warroom.config import Settings
from warroom.providers.jira import JiraTracker
from warroom.testing import Conversation
from warroom.testing.vendors import FakeJira


@pytest.fixture
def conv(settings: Settings, jira: FakeJira, make_conversation: MakeConversation) -> Conversation:
    config = with_roster(settings)
    config.jira.url, config.jira.project = jira.url, "OPS"
    tracker = JiraTracker(
        url=jira.url, project="OPS", issue_type="Incident", email="bot@example.com",
        api_token="jira-token", timeout=30,
    )  # fmt: skip
    return make_conversation(settings=config, tracker=tracker, closing=[tracker])


def test_ir_page_opens_a_jira_issue_linked_in_the_channels_and_the_report(
    conv: Conversation, jira: FakeJira
) -> None:
    lines = conv.say("!ir page checkout is down", user="daniella")
    link = f"{jira.url}/browse/OPS-1"
    assert f"[#ir-20170223-2242] bot: 🎫 Jira issue for INC-1: {link}" in lines
    assert f"[#war-room] bot: 🎫 Jira issue for INC-1: {link}" in lines
    [issue] = jira.issues
    assert "INC-1: checkout is down" == issue["fields"]["summary"]
    assert {"name": "Incident"} == issue["fields"]["issuetype"]
    assert ["warroom-inc1"] == issue["fields"]["labels"]
    assert "doc" == issue["fields"]["description"]["type"]
    report = conv.say("spy incident report", user="alice", channel="ir-20170223-2242")
    assert any(f"Jira issue: {link}" in line for line in report)


def test_a_second_try_finds_the_issue_it_made(conv: Conversation, jira: FakeJira) -> None:
    """Jira has no dedup key: the label is looked up first, so a retry makes no second issue."""
    conv.say("!ir page checkout is down", user="daniella")
    tracker = conv.runtime.tracker
    assert tracker is not None
    again = conv.loop.run_until_complete(
        tracker.open_issue(key="warroom-inc1", summary="INC-1: x", description="x")
    )
    assert f"{jira.url}/browse/OPS-1" == again
    assert 1 == len(jira.issues)


def test_jira_failing_is_said_and_the_page_goes_on(conv: Conversation, jira: FakeJira) -> None:
    jira.faults = [500, 500, 500]
    lines = conv.say("!ir page checkout is down", user="daniella")
    assert (
        "[#ir-20170223-2242] bot: ⚠ Could not open a Jira issue for INC-1 (Jira failed (500))."
        in lines
    )
    assert "[dm @alice] bot: 📟 You are paged: checkout is down" in lines
    assert [] == jira.issues


def test_no_tracker_configured_means_no_issue(make_conv_without_jira: Conversation) -> None:
    lines = make_conv_without_jira.say("!ir page checkout is down", user="daniella")
    assert not any("Jira" in line for line in lines)


@pytest.fixture
def make_conv_without_jira(app: App, make_conversation: MakeConversation) -> Conversation:
    app.settings = with_roster(app.settings)
    return make_conversation(app)


def test_issues_are_searched_at_search_jql_the_old_search_is_gone(
    conv: Conversation, jira: FakeJira
) -> None:
    """Jira Cloud removed `GET /rest/api/3/search` (410 Gone); the fake answers it so too."""
    conv.say("!ir page checkout is down", user="daniella")
    [search] = jira.calls("GET", "/rest/api/3/search/jql")
    assert ['project = "OPS" AND labels = "warroom-inc1"'] == search.query["jql"]
    assert [] == jira.calls("GET", "/rest/api/3/search")
    gone = httpx.get(
        f"{jira.url}/rest/api/3/search", params={"jql": "project = OPS"},
        auth=("bot@example.com", "jira-token"),
    )  # fmt: skip
    assert 410 == gone.status_code


def test_a_refusal_is_said_in_jiras_own_words(
    settings: Settings, make_conversation: MakeConversation
) -> None:
    """Jira's `errorMessages` (and `errors`, by field) are what the channel is told."""
    with FakeJira(email="bot@example.com", token="jira-token", projects={"OPS"}) as jira:
        config = with_roster(settings)
        config.jira.url, config.jira.project = jira.url, "NOPE"
        tracker = JiraTracker(
            url=jira.url, project="NOPE", issue_type="Incident", email="bot@example.com",
            api_token="jira-token", timeout=30,
        )  # fmt: skip
        conversation = make_conversation(settings=config, tracker=tracker, closing=[tracker])
        lines = conversation.say("!ir page checkout is down", user="daniella")
        assert (
            "[#ir-20170223-2242] bot: ⚠ Could not open a Jira issue for INC-1 (Jira refused "
            "the request (400: The value 'NOPE' does not exist for the field 'project'.))." in lines
        )
        assert 1 == len(jira.requests)  # a refusal is not retried


def _tracker(jira: FakeJira, *, project: str = "OPS") -> JiraTracker:
    return JiraTracker(
        url=jira.url, project=project, issue_type="Task", email="bot@example.com",
        api_token="jira-token", timeout=5,
    )  # fmt: skip


def test_issue_states_are_read_by_label_in_batches_and_pages(
    jira: FakeJira, monkeypatch: pytest.MonkeyPatch
) -> None:
    """120 keys: three searches (50 labels each at most), each followed through its pages; a
    key with no issue is left out; done is the status's category, whatever its name."""
    from warroom.providers import jira as module

    monkeypatch.setattr(module, "PAGE_SIZE", 20)
    keys = [f"warroom-inc{n}-action1" for n in range(120)]
    tracker = _tracker(jira)
    try:
        asyncio.run(_open(tracker, keys[:100]))
        assert 100 == len(jira.issues)
        for issue, to in (("OPS-1", "31"), ("OPS-2", "41"), ("OPS-3", "21")):
            assert 204 == jira_transition(jira, issue, to).status_code
        jira.requests.clear()
        states = asyncio.run(tracker.issue_states(keys=keys))
    finally:
        asyncio.run(tracker.aclose())
    assert 100 == len(states)
    assert keys[100] not in states
    first, second, third, fourth = (states[k] for k in keys[:4])
    assert ("OPS-1", "Done", True) == (first.issue, first.status, first.done)
    assert ("OPS-2", "Won't Do", True) == (second.issue, second.status, second.done)
    assert ("OPS-3", "In Progress", False) == (third.issue, third.status, third.done)
    assert ("OPS-4", "To Do", False) == (fourth.issue, fourth.status, fourth.done)
    searches = jira.calls("POST", "/rest/api/3/search/jql")
    firsts = [s.body["jql"].count('"warroom-') for s in searches if "nextPageToken" not in s.body]
    assert [50, 50, 20] == firsts
    assert 3 + 3 + 1 == len(searches)  # 50 issues in pages of 20, twice; then none
    assert all(["status", "labels"] == s.body["fields"] for s in searches)


def test_the_fake_refuses_what_jira_refuses(jira: FakeJira) -> None:
    """An unknown issue is 404, a transition its workflow lacks 400, without credentials 401;
    the issue is left as it was."""
    tracker = _tracker(jira)
    try:
        asyncio.run(_open(tracker, ["warroom-inc1"]))
    finally:
        asyncio.run(tracker.aclose())
    assert 404 == jira_transition(jira, "OPS-99", "31").status_code
    refused = jira_transition(jira, "OPS-1", "99")
    assert 400 == refused.status_code
    assert ["Transition id '99' is not valid for this issue."] == refused.json()["errorMessages"]
    anonymous = httpx.post(
        f"{jira.url}/rest/api/3/issue/OPS-1/transitions", json={"transition": {"id": "31"}}
    )
    assert 401 == anonymous.status_code
    assert "To Do" == jira.issues[0]["fields"]["status"]["name"]
    offered = httpx.get(
        f"{jira.url}/rest/api/3/issue/OPS-1/transitions", auth=("bot@example.com", "jira-token")
    ).json()["transitions"]
    assert {"To Do", "In Progress", "Done", "Won't Do"} == {t["to"]["name"] for t in offered}


def _tracker(jira: FakeJira) -> JiraTracker:
    return JiraTracker(
        url=jira.url, project="OPS", issue_type="Task", email="bot@example.com",
        api_token="jira-token", timeout=5,
    )  # fmt: skip


async def _open(tracker: JiraTracker, keys: list[str]) -> None:
    for key in keys:
        await tracker.open_issue(key=key, summary=key, description="x")
