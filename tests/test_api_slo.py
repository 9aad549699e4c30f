"""Issue 16 in the HTTP API: an incident's severity, impacts and action items; the report as
chat words it; service levels (`GET /api/v1/slo`, `/slo/{service}`) on a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api_helpers import Api
from followup_helpers import SCRIPT, followup_conversation, incident_with_followup
from helpers import MakeConversation
from warroom.config import Settings
from warroom.render.slo import CSV_HEADER
from warroom.testing import Conversation, FixedClock
from warroom.testing.vendors import FakeJira


@pytest.fixture
def fconv(settings: Settings, jira: FakeJira, make_conversation: MakeConversation) -> Conversation:
    return followup_conversation(settings, jira, make_conversation)


@pytest.fixture
def api(fconv: Conversation) -> Iterator[Api]:
    made = Api(fconv)
    made.token("reader", "read")
    yield made
    made.close()


def test_an_incident_shows_its_severity_impacts_and_action_items(
    api: Api, clock: FixedClock, jira: FakeJira
) -> None:
    incident_with_followup(api.conv, clock)
    one = api.call("GET", "/api/v1/incidents/1", token="reader").json()
    assert "sev3" == one["severity"]
    assert "Minor: limited impact, or a workaround exists" == one["severity_meaning"]
    assert [{"service": "checkout", "level": "full"}] == one["impacts"]
    assert [
        {
            "number": 1, "text": "fix retries", "owner": "bob", "open": False,
            "done_at": "2017-02-23T22:42:36Z", "done_by": "daniella",
            "link": f"{jira.url}/browse/OPS-1",
        },
        {
            "number": 2, "text": f"write the {SCRIPT} runbook", "owner": None, "open": True,
            "done_at": None, "done_by": None, "link": f"{jira.url}/browse/OPS-2",
        },
    ] == one["actions"]  # fmt: skip
    [listed] = api.call("GET", "/api/v1/incidents", token="reader").json()
    assert ("sev3", [{"service": "checkout", "level": "full"}]) == (
        listed["severity"], listed["impacts"]
    )  # fmt: skip
    api.conv.say("spy incident start me search is slow", user="ana", channel="war-room-2")
    second = api.call("GET", "/api/v1/incidents/2", token="reader").json()
    assert (None, None, [], []) == (
        second["severity"], second["severity_meaning"], second["impacts"], second["actions"]
    )  # fmt: skip


def test_the_api_report_is_the_chat_report(api: Api, clock: FixedClock, jira: FakeJira) -> None:
    """10.5 bad minutes of checkout's 14.4-minute budget (1% of a day): 72.9%."""
    incident_with_followup(api.conv, clock)
    report = api.call("GET", "/api/v1/incidents/1/report", token="reader").text
    lines = report.splitlines()
    assert "- **Severity:** sev3" in lines
    assert (
        "- **Impact:** checkout: full impact, spent 10m 30s of error budget "
        "(72.9% of its 14m 24s budget at 99%)"
    ) in lines
    assert f"- [x] 1. fix retries (@bob, {jira.url}/browse/OPS-1)" in lines
    assert f"- [ ] 2. write the {SCRIPT} runbook ({jira.url}/browse/OPS-2)" in lines
    assert "- [ ] Root cause analysis" not in lines
    chat = api.conv.say("spy incident report", user="daniella")[1:]  # at the same time
    assert [f"[#war-room] bot: {x}" for x in report.rstrip("\n").split("\n")] == chat


def test_service_levels_hand_checked(api: Api, clock: FixedClock) -> None:
    """checkout, 1 day at 99% (SLA 95%): 10.5 bad minutes of 1,440, so 1 - 10.5/1440 =
    99.2708%; the budget is 14.4 minutes, 3.9 left (27.08%). search, probes only: one sample
    in the window (good), 1,439 of 1,440 minutes unknown; its budget is 0.1% of 1 minute."""
    incident_with_followup(api.conv, clock)
    levels = api.call("GET", "/api/v1/slo", token="reader").json()
    assert ["checkout", "search"] == [x["service"] for x in levels]
    checkout, search = levels
    assert {
        "service": "checkout", "objective": 99.0, "sla": 95.0, "window": "1d",
        "window_seconds": 86400, "state": "met", "unknown_minutes": 0.0,
        "alerts": [{"rule": "fast", "since": "2017-02-23T22:43:06Z", "burn": pytest.approx(17.5)}],
    } == {k: v for k, v in checkout.items() if k not in ("availability", "budget")}  # fmt: skip
    assert checkout["availability"] == pytest.approx(100 * (1 - 10.5 / 1440))
    assert checkout["budget"] == pytest.approx(
        {"minutes": 14.4, "spent_minutes": 10.5, "left_minutes": 3.9,
         "left_percent": 100 * 3.9 / 14.4}
    )  # fmt: skip
    assert (100.0, "met", 1439.0, []) == (
        search["availability"], search["state"], search["unknown_minutes"], search["alerts"]
    )  # fmt: skip
    assert search["budget"]["minutes"] == pytest.approx(0.001)


def test_one_service_in_detail(api: Api, clock: FixedClock) -> None:
    """The burn rate over 1 h is (10.5/60)/1% = 17.5×, over 6 h (10.5/360)/1% = 2.9×."""
    incident_with_followup(api.conv, clock)
    found = api.call("GET", "/api/v1/slo/checkout", token="reader").json()
    assert "met" == found["state"]
    [source] = found["sources"]
    assert ("incidents", 1440.0, 0.0) == (
        source["source"], source["known_minutes"], source["unknown_minutes"]
    )  # fmt: skip
    assert source["bad_minutes"] == pytest.approx(10.5)
    assert found["burn_rates"] == pytest.approx({"1h": 17.5, "6h": 10.5 / 360 / 0.01})
    [spent] = found["incidents"]
    assert {
        "id": 1, "summary": "checkout is down", "level": "full",
        "start": "2017-02-23T22:32:36Z", "end": "2017-02-23T22:43:06Z",
    } == {k: v for k, v in spent.items() if k not in ("spent_minutes", "budget_percent")}  # fmt: skip
    assert (spent["spent_minutes"], spent["budget_percent"]) == pytest.approx(
        (10.5, 100 * 10.5 / 14.4)
    )
    search = api.call("GET", "/api/v1/slo/search", token="reader").json()
    assert ({"1h": 0.0, "6h": 0.0}, []) == (search["burn_rates"], search["incidents"])


def test_an_unknown_service_is_a_404_naming_the_services(api: Api) -> None:
    missing = api.call("GET", "/api/v1/slo/cart", token="reader")
    assert 404 == missing.status_code
    assert missing.headers["content-type"] == "application/problem+json"
    body = missing.json()
    assert "I don't know the service `cart`. Services: checkout, search." == body["detail"]
    assert ["checkout", "search"] == body["services"]


def test_no_services_is_an_empty_list(conv: Conversation) -> None:
    made = Api(conv)
    made.token("reader", "read")
    try:
        assert [] == made.call("GET", "/api/v1/slo", token="reader").json()
        assert (
            ",".join(CSV_HEADER) + "\n"
            == made.call("GET", "/api/v1/slo?format=csv", token="reader").text
        )
        missing = made.call("GET", "/api/v1/slo/checkout", token="reader").json()
        assert "Services: none configured." in missing["detail"]
    finally:
        made.close()


def test_the_csv_is_warroom_slo_csv(api: Api, clock: FixedClock) -> None:
    incident_with_followup(api.conv, clock)
    response = api.call("GET", "/api/v1/slo?format=csv", token="reader")
    assert response.headers["content-type"].startswith("text/csv")
    rows = response.text.splitlines()
    assert ",".join(CSV_HEADER) == rows[0]
    assert "checkout,99,95,1,99.2708,met,14.40,3.90,27.08,0" == rows[1]
    assert "search,99.9,,1,100.0000,met,0.00,0.00,100.00,1439" == rows[2]
    bad = api.call("GET", "/api/v1/slo?format=xml", token="reader")
    assert 422 == bad.status_code
