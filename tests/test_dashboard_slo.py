"""Issue 16 on the dashboard: severity on Now and the incident page, impacts and action items
(their Jira issues, done or open) on the incident page, the report as chat words it, and the
Service levels pages; users' text is escaped everywhere."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from api_helpers import Api
from followup_helpers import SCRIPT, followup_conversation, incident_with_followup
from helpers import MakeConversation
from warroom.config import Settings
from warroom.render.slo import CSV_HEADER
from warroom.testing import Conversation, FixedClock
from warroom.testing.vendors import FakeJira

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def web(
    settings: Settings, jira: FakeJira, make_conversation: MakeConversation, clock: FixedClock
) -> Iterator[Api]:
    made = Api(followup_conversation(settings, jira, make_conversation))
    incident_with_followup(made.conv, clock)
    yield made
    made.close()


def text_of(html: str) -> str:
    """The page's words, tags dropped and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_now_and_the_incident_page_show_severity_impacts_and_action_items(
    web: Api, jira: FakeJira
) -> None:
    now = web.call("GET", "/").text
    assert '<span class="pill sev">sev3</span>' in now
    page = web.call("GET", "/incidents/1")
    assert 200 == page.status_code
    html = page.text
    words = text_of(html)
    assert "Severity sev3 Minor: limited impact, or a workaround exists" in words
    assert '<a href="/slo/checkout">checkout</a>: full impact' in html
    assert "Action items (1 open of 2)" in words
    assert (
        "✅ 1. fix retries — @bob · Jira issue · done by daniella at 2017-02-23 22:42:36 UTC"
        in (words)
    )
    assert f'<a href="{jira.url}/browse/OPS-1">Jira issue</a>' in html
    assert f"☐ 2. write the {ESCAPED} runbook · Jira issue · open" in words
    assert f'<a href="{jira.url}/browse/OPS-2">Jira issue</a>' in html
    assert SCRIPT not in html
    live = web.call("GET", "/incidents/1/live?after=0").json()
    assert "Severity sev3 Minor: limited impact" in text_of(live["header"])


def test_the_report_page_and_download_are_the_chat_report(web: Api, jira: FakeJira) -> None:
    html = web.call("GET", "/incidents/1/report").text
    assert (
        "checkout: full impact, spent 10m 30s of error budget (72.9% of its 14m 24s budget at 99%)"
    ) in html
    assert "[x] 1. fix retries (@bob, " in html
    assert f"[ ] 2. write the {ESCAPED} runbook" in html
    assert SCRIPT not in html
    md = web.call("GET", "/incidents/1/report.md").text
    assert f"- [x] 1. fix retries (@bob, {jira.url}/browse/OPS-1)" in md.splitlines()
    assert f"- [ ] 2. write the {SCRIPT} runbook ({jira.url}/browse/OPS-2)" in md.splitlines()


def test_the_service_levels_page_shows_every_service(web: Api) -> None:
    """checkout: 1 - 10.5/1440 = 99.271%, 3.9 of 14.4 budget minutes left (3m 54s, 27.1%),
    the fast burn alert open since the first check; search: one good probe sample, 1,439
    minutes unknown."""
    page = web.call("GET", "/slo")
    assert 200 == page.status_code
    html = page.text
    assert '<a href="/slo" aria-current="page">Service levels</a>' in html
    words = text_of(html)
    assert (
        "checkout 99.271% 99% 95% 1d 27.1% 3m 54s of 14m 24s (27.1%) met "
        "🔥 fast burn (17.5×) since 2017-02-23 22:43:06 UTC"
    ) in words
    assert '<meter min="0" max="100" low="25" high="50" optimum="100" value="27.1">' in html
    assert "search 100.000% 1439 min unknown 99.9% — 1d" in words
    assert '<a href="/slo/checkout">checkout</a>' in html
    assert "Service levels" in web.call("GET", "/").text  # linked from every page's header
    csv_text = web.call("GET", "/slo.csv").text.splitlines()
    assert ",".join(CSV_HEADER) == csv_text[0]
    assert csv_text[1].startswith("checkout,99,95,1,99.2708,met,14.40,3.90,27.08")


def test_a_service_page_shows_its_detail_and_escapes_summaries(web: Api, clock: FixedClock) -> None:
    """Burn rates: (10.5/60)/1% = 17.5× over 1 h, (10.5/360)/1% = 2.9× over 6 h."""
    html = web.call("GET", "/slo/checkout").text
    words = text_of(html)
    assert "Burn rate 1h 17.5×, 6h 2.9×" in words
    assert "INC-1 checkout is down: 10m 30s (72.9% of the budget), full impact since" in words
    assert '<a href="/incidents/1">INC-1</a>' in html
    assert "incidents 99.271% 10.5 1440 0" in words
    assert "🔥 fast burn (17.5×) since 2017-02-23 22:43:06 UTC" in words
    web.conv.say(f"spy incident start me {SCRIPT} --service checkout", user="ana", channel="wr2")
    clock.advance(minutes=1)
    html = web.call("GET", "/slo/checkout").text
    assert f"INC-2 {ESCAPED}: 1m 00s" in text_of(html)
    assert SCRIPT not in html
    clock.advance(minutes=5)  # 10.5 + 6 = 16.5 bad minutes: 2.1 over the 14.4 (114.6% spent)
    overspent = "overspent by 2m 06s (114.6% of 14m 24s spent)"
    assert overspent in text_of(web.call("GET", "/slo/checkout").text)
    assert overspent in text_of(web.call("GET", "/slo").text)
    missing = web.call("GET", "/slo/cart")
    assert 404 == missing.status_code
    assert "I don&#39;t know the service `cart`. Services: checkout, search." in missing.text


def test_no_services_configured(conv: Conversation) -> None:
    made = Api(conv)
    try:
        assert "No services are configured" in made.call("GET", "/slo").text
    finally:
        made.close()
