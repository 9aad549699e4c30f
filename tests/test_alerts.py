"""Alerts in: Alertmanager's webhook and mapped webhooks page the routed team once per group,
resolve it, and open incidents for `action: incident`; on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api_helpers import Api
from paging_config import with_roster
from warroom.app.alerts import AlertIn, receive
from warroom.app.service import App
from warroom.config import Settings
from warroom.config.web import AlertRoute
from warroom.store.db import connect
from warroom.testing import Conversation, FixedClock

DATA = Path(__file__).parent / "data"
# Mapping and routing are the same on both databases; the paging path runs on both.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / name).read_text())
    return loaded


@pytest.fixture
def api(db_url: str, settings: Settings, clock: FixedClock) -> Iterator[Api]:
    routed = with_roster(settings)
    routed.alerts.routes = [
        AlertRoute(match={"service": "checkout", "severity": "critical"}, team="datastores",
                   action="incident", name="checkout-critical"),
        AlertRoute(match={"team": "datastores"}, team="datastores", name="datastores"),
        AlertRoute(match={"source": "dynatrace"}, team="datastores", name="dynatrace"),
        AlertRoute(match={"policy": "datastores"}, team="datastores", name="newrelic"),
    ]  # fmt: skip
    sessions = connect(db_url)
    conv = Conversation(App(sessions=sessions, settings=routed, clock=clock))
    made = Api(conv)
    made.token("alertmanager", "respond")
    yield made
    made.close()
    conv.close()
    sessions.kw["bind"].dispose()


def test_an_alertmanager_group_pages_once_and_resolves(api: Api) -> None:
    firing = sample("alertmanager_firing.json")
    response, said = api.said("POST", "/api/v1/alerts/alertmanager", token="alertmanager",
                              json=firing)  # fmt: skip
    assert 201 == response.status_code, response.text
    assert {"route": "datastores", "result": "paged", "page": 1, "incident": None} == (
        response.json()
    )
    assert (
        "[#datastores] bot: 📟 Paging datastores (@carol) via the builtin roster: page #1." in said
    )
    assert (
        "[dm @carol] bot: 📟 You are paged: PostgresReplicationLag: replica lag over 30s on db-2"
        in said
    )
    for _ in range(3):  # Alertmanager re-sends the group every repeat_interval
        again, more = api.said("POST", "/api/v1/alerts/alertmanager", token="alertmanager",
                               json=firing)  # fmt: skip
        assert (200, "duplicate", []) == (again.status_code, again.json()["result"], more)
    resolved = copy.deepcopy(firing)
    resolved["status"] = "resolved"
    resolved["alerts"][0]["status"] = "resolved"
    response, said = api.said("POST", "/api/v1/alerts/alertmanager", token="alertmanager",
                              json=resolved)  # fmt: skip
    assert "resolved" == response.json()["result"]
    assert (
        "[#datastores] bot: ✅ Alert resolved: PostgresReplicationLag: replica lag over 30s on db-2 (page #1)"
        in said
    )
    pages = api.call("GET", "/api/v1/pages", token="alertmanager").json()
    assert [] == pages
    again = api.call("POST", "/api/v1/alerts/alertmanager", token="alertmanager", json=resolved)
    assert "ignored" == again.json()["result"]
    metrics = api.call("GET", "/metrics").text
    assert 'warroom_alerts_received_total{route="datastores",source="alertmanager"} 6.0' in metrics
    assert 'warroom_pages{provider="builtin",status="resolved"} 1.0' in metrics


def test_an_incident_route_opens_an_incident_and_notes_the_resolve(api: Api) -> None:
    firing = sample("alertmanager_firing.json")
    firing["commonLabels"].update(service="checkout", severity="critical")
    firing["groupKey"] = '{}:{alertname="CheckoutErrors"}'
    response, said = api.said("POST", "/api/v1/alerts/alertmanager", token="alertmanager",
                              json=firing)  # fmt: skip
    assert {"route": "checkout-critical", "result": "paged", "page": 1, "incident": 1} == (
        response.json()
    )
    started = [x for x in said if x.startswith("[#datastores] bot: 🔥 An incident was reported")]
    assert 1 == len(started)
    assert "@carol is the IMOC. (INC-1)" in started[0]
    firing["status"] = "resolved"
    api.call("POST", "/api/v1/alerts/alertmanager", token="alertmanager", json=firing)
    timeline = api.call("GET", "/api/v1/incidents/1", token="alertmanager").json()["timeline"]
    notes = [(e["actor"], e["text"]) for e in timeline if e["kind"] == "note"]
    assert [
        ("via API (token alertmanager)",
         "✅ Alert resolved: PostgresReplicationLag: replica lag over 30s on db-2 (page #1)")
    ] == notes  # fmt: skip
    assert "Page #1 (datastores) resolved in the builtin roster" == timeline[-1]["text"]


@SQLITE_ONLY
def test_unmatched_alerts_are_refused_or_go_to_the_default_team(api: Api) -> None:
    stray = sample("alertmanager_firing.json")
    stray["commonLabels"] = {"alertname": "DiskFull", "team": "storage"}
    stray["groupLabels"] = {"alertname": "DiskFull"}
    refused = api.call("POST", "/api/v1/alerts/alertmanager", token="alertmanager", json=stray)
    assert 422 == refused.status_code
    assert (
        "No route in `alerts.routes` matches alertname=DiskFull, team=storage"
        in (refused.json()["detail"])
    )
    api.conv.app.settings.alerts.default_team = "datastores"
    taken = api.call("POST", "/api/v1/alerts/alertmanager", token="alertmanager", json=stray)
    assert ("default", "paged") == (taken.json()["route"], taken.json()["result"])
    wrong = api.call("POST", "/api/v1/alerts/alertmanager", token="alertmanager",
                     json={**stray, "version": "3"})  # fmt: skip
    assert 422 == wrong.status_code
    assert "body.version" in wrong.json()["detail"]


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("source", "file", "route", "title", "resolve"),
    [
        ("grafana", "grafana_firing.json", "checkout-critical",
         "[FIRING:1] CheckoutErrors shop (checkout critical datastores)", {"status": "resolved"}),
        ("dynatrace", "dynatrace_open.json", "dynatrace", "Failure rate increase",
         {"State": "RESOLVED"}),
        ("newrelic", "newrelic_activated.json", "newrelic",
         "Memory Used % > 90 for at least 2 minutes on 'checkout-1'", {"state": "CLOSED"}),
    ],
)  # fmt: skip
def test_mapped_webhooks_from_the_vendors_samples(
    api: Api, source: str, file: str, route: str, title: str, resolve: dict[str, str]
) -> None:
    payload = sample(file)
    path = f"/api/v1/alerts/webhook/{source}"
    response, said = api.said("POST", path, token="alertmanager", json=payload)
    assert (201, route, "paged") == (
        response.status_code, response.json()["route"], response.json()["result"]
    )  # fmt: skip
    assert f"[dm @carol] bot: 📟 You are paged: {title}" in said
    assert (
        "duplicate" == api.call("POST", path, token="alertmanager", json=payload).json()["result"]
    )
    done = api.call("POST", path, token="alertmanager", json={**payload, **resolve})
    assert "resolved" == done.json()["result"]


@SQLITE_ONLY
def test_mapped_webhooks_name_what_is_missing(api: Api) -> None:
    payload = sample("dynatrace_open.json")
    del payload["PID"]
    missing = api.call("POST", "/api/v1/alerts/webhook/dynatrace", token="alertmanager",
                       json=payload)  # fmt: skip
    assert (422, "PID: missing (the `dedup_key` of source `dynatrace`)") == (
        missing.status_code, missing.json()["detail"]
    )  # fmt: skip
    merged = {**sample("dynatrace_open.json"), "State": "MERGED"}
    ignored = api.call("POST", "/api/v1/alerts/webhook/dynatrace", token="alertmanager",
                       json=merged)  # fmt: skip
    assert "ignored" == ignored.json()["result"]
    unknown = api.call("POST", "/api/v1/alerts/webhook/zabbix", token="alertmanager", json={})
    assert 404 == unknown.status_code


@pytest.mark.postgres
def test_one_group_sent_by_two_alertmanagers_at_once_pages_once(
    pg_url: str, settings: Settings, clock: FixedClock
) -> None:
    """An Alertmanager cluster notifies from each peer: six copies of one group arriving at
    once on three replicas make one page."""
    routed = with_roster(settings)
    routed.alerts.routes = [AlertRoute(match={"team": "datastores"}, team="datastores")]
    apps = [App(sessions=connect(pg_url), settings=routed, clock=clock) for _ in range(3)]
    alert = AlertIn("alertmanager", '{}:{alertname="X"}', "firing", "X", {"team": "datastores"})
    barrier = threading.Barrier(6)
    results: list[str] = []

    def post(app: App) -> None:
        barrier.wait()
        outcome = receive(app, alert, token="am", platform="shell")
        results.append(outcome.result)

    try:
        threads = [threading.Thread(target=post, args=(apps[i % 3],)) for i in range(6)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        for app in apps:
            app.sessions.kw["bind"].dispose()
    assert ["duplicate"] * 5 + ["paged"] == sorted(results)
