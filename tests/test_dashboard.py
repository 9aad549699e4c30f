"""The dashboard's pages through httpx's ASGI transport, with nobody signed in (127.0.0.1 only):
what chat did shows up, the buttons run the chat use cases, CSV and Markdown downloads."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api_helpers import Api
from paging_config import with_roster
from warroom.app.dashboard import Series
from warroom.app.roster import parse_csv
from warroom.app.service import App
from warroom.config import Settings
from warroom.store.db import connect
from warroom.testing import Conversation, FixedClock
from warroom.web.dashboard import svg

STACK = "shopify/shopify/production"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found[1]


@pytest.fixture
def web(db_url: str, settings: Settings, clock: FixedClock) -> Iterator[Api]:
    sessions = connect(db_url)
    config = with_roster(settings)
    config.web.dashboard.channel_url = "https://slack.com/app_redirect?channel={channel}"
    conv = Conversation(App(sessions=sessions, settings=config, clock=clock))
    made = Api(conv)
    yield made
    made.close()
    conv.close()
    sessions.kw["bind"].dispose()


def test_now_shows_what_chat_did_and_the_buttons_run_the_chat_use_cases(
    web: Api, clock: FixedClock
) -> None:
    """An incident, a page and a lock made in chat appear on Now; Acknowledge and Unlock say in
    chat what `pager ack` and `shipit unlock` say, as the person at the dashboard."""
    conv = web.conv
    conv.say("spy incident start me checkout is down", user="daniella", channel="war-room")
    conv.say("spy incident srm @sam", user="daniella", channel="war-room")
    conv.say('spy page datastores "disk full"', user="daniella", channel="war-room")
    conv.say(f"spy shipit lock {STACK} bad deploy", user="emil", channel="deploys")
    clock.advance(minutes=65)
    now = web.call("GET", "/")
    assert 200 == now.status_code
    html = now.text
    assert "No sign-in is configured: this dashboard answers only on 127.0.0.1" in html
    assert "INC-1: checkout is down" in html
    assert "IMOC @daniella · SRM @sam" in html
    assert "running for 1h 05m" in html
    assert 'href="https://slack.com/app_redirect?channel=war-room"' in html
    assert "Page 1 → datastores" in html, conv.chat.lines(0)
    assert f"🔒 {STACK}" in html
    assert "Carol Chen (@carol)" in html
    assert "+1 555 0102" not in html, "phone numbers are for signed-in responders"
    token = csrf_of(html)

    refused = web.call("POST", "/pages/1/ack", data={"csrf": "forged"})
    assert 403 == refused.status_code
    assert "This form is stale or came from another site" in refused.text
    start = len(conv.chat.sent)
    acked = web.call(
        "POST", "/pages/1/ack", data={"csrf": token}, headers={"referer": "http://warroom.test/"}
    )
    assert (303, "/") == (acked.status_code, acked.headers["location"])
    assert "Acknowledging page #1 (datastores) in the builtin roster…" in web.call("GET", "/").text
    unlocked = web.call("POST", "/locks/unlock", data={"csrf": token, "stack": STACK})
    assert 303 == unlocked.status_code
    after = web.call("GET", "/").text
    assert f"🔓 {STACK} unlocked" in after
    assert "No stack is locked." in after
    assert any("acknowledged" in line.lower() for line in conv.chat.lines(start)), conv.chat.lines(
        start
    )


def test_the_dashboard_answers_only_on_loopback_without_sign_in(web: Api) -> None:
    """With no sign-in configured a request from elsewhere gets 403 and the reason."""
    other = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web.asgi, client=("10.1.2.3", 4000)),
        base_url="http://warroom.test",
    )
    response = web.conv.loop.run_until_complete(other.get("/"))
    web.conv.loop.run_until_complete(other.aclose())
    assert 403 == response.status_code
    assert "No sign-in is configured: the dashboard answers only on 127.0.0.1." in response.text


def test_the_incident_page_has_the_timeline_notes_report_and_live_updates(
    web: Api, clock: FixedClock
) -> None:
    conv = web.conv
    conv.say("spy incident start me checkout is down", user="daniella", channel="war-room")
    conv.say("spy incident note rolled back deploy 1234", user="daniella", channel="war-room")
    page = web.call("GET", "/incidents/1")
    assert 200 == page.status_code
    assert "rolled back deploy 1234" in page.text
    assert "<h2" in page.text
    report = web.call("GET", "/incidents/1/report").text
    assert "<h3>Service disruption: checkout is down</h3>" in report
    last = int(re.search(r'data-after="(\d+)"', page.text)[1])  # type: ignore[index]
    quiet = web.call("GET", f"/incidents/1/live?after={last}").json()
    assert (last, "", True) == (quiet["after"], quiet["items"].strip(), quiet["active"])
    clock.advance(minutes=3)
    conv.say("spy incident note cache warmed", user="sam", channel="war-room")
    conv.say("spy incident mitigated", user="daniella", channel="war-room")
    live = web.call("GET", f"/incidents/1/live?after={last}").json()
    assert "cache warmed" in live["items"]
    assert "mitigated" in live["items"]
    assert live["after"] > last
    assert "2017-02-23 22:45:36 UTC" in live["header"]
    md = web.call("GET", "/incidents/1/report.md")
    assert 'attachment; filename="INC-1.md"' == md.headers["content-disposition"]
    assert md.text.startswith("#")
    assert "cache warmed" in md.text
    assert 404 == web.call("GET", "/incidents/99").status_code


def test_a_long_timeline_shows_the_latest_200_and_pages_back(web: Api) -> None:
    """The page stays light with thousands of events: the latest 200, live; older ones a
    page back at a time, not live."""
    conv = web.conv
    conv.say("spy incident start me checkout is down", user="daniella", channel="war-room")
    for n in range(250):
        conv.say(f"spy incident note step {n}", user="daniella", channel="war-room")
    latest = web.call("GET", "/incidents/1").text
    assert 200 == latest.count('<li class="ev ')
    assert "step 249" in latest
    assert "step 49<" not in latest
    older = re.search(r'href="(/incidents/1\?before=\d+)" rel="prev">51 earlier events', latest)
    assert older, "a link to the 51 earlier events"
    back = web.call("GET", older[1]).text
    assert 51 == back.count('<li class="ev ')
    assert "step 49<" in back
    assert 'data-active="false"' in back
    assert "Back to the latest events" in back


def test_history_filters_paginates_and_exports_csv(web: Api, clock: FixedClock) -> None:
    conv = web.conv
    for n in range(30):
        channel = "support" if n % 2 else "datastores"
        conv.say(f"spy incident start me outage {n}", user="daniella", channel=channel)
        clock.advance(minutes=10 + n)
        conv.say("spy incident stop", user="daniella", channel=channel)
        clock.advance(days=1)
    first = web.call("GET", "/history").text
    assert "30 incidents." in first
    assert "Page 1 of 2" in first
    assert "INC-30" in first
    assert "INC-5<" not in first
    second = web.call("GET", "/history?page=2").text
    assert "INC-5<" in second
    support = web.call("GET", "/history?team=support&min=30").text
    # support has the odd ones; durations 10+n minutes, so n >= 20: 21, 23, ..., 29
    assert "5 incidents." in support
    dated = web.call("GET", "/history?from=2017-02-25&to=2017-02-26&q=outage").text
    assert "2 incidents." in dated
    bad = web.call("GET", "/history?from=yesterday").text
    assert "from: `yesterday` is not a date like 2026-12-01" in bad
    rows = list(
        csv.DictReader(io.StringIO(web.call("GET", "/history.csv?team=support&min=30").text))
    )
    assert ["INC-30", "INC-28", "INC-26", "INC-24", "INC-22"] == [r["id"] for r in rows]
    assert {"support"} == {r["team"] for r in rows}
    assert str(39 * 60) == rows[0]["duration_s"]


def test_rotation_and_charts_show_their_numbers(web: Api, clock: FixedClock) -> None:
    conv = web.conv
    conv.say("spy incident start me checkout is down", user="daniella", channel="war-room")
    conv.say("spy incident failures started 10m ago", user="daniella", channel="war-room")
    clock.advance(minutes=20)
    conv.say("spy incident mitigated", user="daniella", channel="war-room")
    charts = web.call("GET", "/charts").text
    assert charts.count("<svg") == 5
    assert "Time to mitigate" in charts
    rows = list(csv.reader(io.StringIO(web.call("GET", "/charts/mitigate.csv").text)))
    assert ["label", "p50", "p90"] == rows[0]
    assert ["2017-W08", "30", "30"] == rows[-1]
    incidents = list(csv.reader(io.StringIO(web.call("GET", "/charts/incidents.csv").text)))
    assert ["2017-W08", "1"] == incidents[-1]
    assert 404 == web.call("GET", "/charts/nope.csv").status_code
    rotation = web.call("GET", "/rotation")
    assert 200 == rotation.status_code
    assert "The rotation has no engineers yet" in rotation.text


ROSTER = """handle,name,email,tz,country,manager
alice,Alice A,alice@example.com,Europe/Amsterdam,NL,no
bob,Bob B,bob@example.com,America/Toronto,US,no
carol,Carol C,carol@example.com,UTC,DE,no
erin,Erin E,erin@example.com,UTC,US,yes
"""


def test_rotation_shows_the_queue_why_not_and_the_charts_count_pages(
    web: Api, clock: FixedClock, tmp_path: Path
) -> None:
    """The roster says who may not be paged now and why; an acknowledged rotation page shows
    in time to acknowledge, per time zone and pings per person."""
    conv = web.conv
    conv.app.import_roster(parse_csv(ROSTER), replace=False)
    holidays = tmp_path / "holidays.yml"
    holidays.write_text("countries:\n  NL: [2017-02-23]\n")
    conv.app.settings.rotation.holidays = holidays
    conv.say("devoncall db is slow", user="zed", channel="war-room")
    clock.advance(seconds=42)
    conv.react("eyes", user="bob", channel="war-room", message_ref=conv.last_ref())
    page = web.call("GET", "/rotation").text
    assert re.search(r"@alice \(Alice A\)</td>.*?no: on holiday", page, re.S)
    assert re.search(r"@erin \(Erin E\)</td>.*?no: manager", page, re.S)
    assert re.search(r"@carol \(Carol C\)</td>.*?<td>yes</td>", page, re.S)
    queue = re.search(r"<ol>(.*?)</ol>", page, re.S)
    assert queue
    assert ["alice", "carol", "bob"] == re.findall(r"<li>@(\w+)", queue[1])
    ack = list(csv.reader(io.StringIO(web.call("GET", "/charts/acknowledge.csv").text)))
    assert ["2017-W08", "42", "42"] == ack[-1]
    zones = list(csv.reader(io.StringIO(web.call("GET", "/charts/timezones.csv").text)))
    assert [["label", "pages"], ["America/Toronto", "1"]] == zones
    pings = list(csv.reader(io.StringIO(web.call("GET", "/charts/pings.csv").text)))
    assert [["label", "pings"], ["bob", "1"]] == pings


def test_a_chart_draws_its_numbers() -> None:
    """Bars are as tall as their values on a scale rounded up (4 -> 5); lines have a point per
    value and skip the gaps; labels are escaped."""
    bars = svg.chart(Series("T", "n", ("n",), (("<a>", (4.0,)), ("b", (2.0,)), ("c", (0.0,)))))
    heights = [float(h) for h in re.findall(r'<rect class="bar" [^>]*height="([\d.]+)"', bars)]
    plot = svg.H - svg.TOP - svg.BOTTOM
    assert [plot * 4 / 5, plot * 2 / 5, 0.0] == pytest.approx(heights, abs=0.1)
    assert "&lt;a&gt;" in bars
    assert "<a>" not in bars
    lines = svg.chart(Series("T", "s", ("p50", "p90"), (("w1", (1.0, 3.0)), ("w2", (None, None)))))
    assert 2 == lines.count("<polyline")
    assert 2 == lines.count("<circle")
    assert "no data yet" in svg.chart(Series("T", "n", ("n",), ()))
