"""The Jira tracker: an issue per incident opened by `!ir page`, against a fake Jira server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from helpers import MakeConversation
from paging_config import with_roster
from warroom.app.service import App
from warroom.config import Settings
from warroom.providers.jira import JiraTracker
from warroom.testing import Conversation
from warroom.testing.vendors import FakeJira


@pytest.fixture
def jira() -> Iterator[FakeJira]:
    with FakeJira(email="bot@example.com", token="jira-token") as fake:
        yield fake


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
    import httpx

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
