"""The HTTP API through httpx's ASGI transport, on SQLite and PostgreSQL: the same use cases
and words as chat, tokens and scopes, problem details."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api_helpers import Api
from paging_config import with_roster
from warroom.app.service import App
from warroom.config import Settings
from warroom.store.db import connect
from warroom.testing import Conversation, FixedClock

STACK = "shopify/shopify/production"


@pytest.fixture
def api(conv: Conversation) -> Iterator[Api]:
    made = Api(conv)
    made.token("reader", "read")
    made.token("ops", "respond")
    made.token("ci-deploy", "deploy")
    made.token("root", "admin")
    yield made
    made.close()


def test_a_pipeline_checks_locks_and_chat_sees_its_locks(api: Api) -> None:
    """GET is 200 `{"locked": false}` or 423 with who, why, since, incident; POST and DELETE
    need `deploy`; chat and API share the locks and the words."""
    free = api.call("GET", f"/api/v1/locks/{STACK}", token="reader")
    assert (200, {"locked": False, "stack": STACK}) == (free.status_code, free.json())
    taken = api.call("POST", f"/api/v1/locks/{STACK}", token="ci-deploy",
                     json={"reason": "release train 42"})  # fmt: skip
    assert 201 == taken.status_code
    assert [f"🔒 {STACK} locked via API (token ci-deploy): release train 42"] == (
        taken.json()["said"]
    )
    locked = api.call("GET", f"/api/v1/locks/{STACK}", token="reader")
    assert 423 == locked.status_code
    assert {
        "locked": True, "stack": STACK, "by": "via API (token ci-deploy)",
        "reason": "release train 42", "since": "2017-02-23T22:42:36+00:00", "incident": None,
    } == locked.json()  # fmt: skip
    again = api.call("POST", f"/api/v1/locks/{STACK}", token="root", json={})
    assert 423 == again.status_code
    assert again.headers["content-type"] == "application/problem+json"
    assert "already locked via API (token ci-deploy)" in again.json()["detail"]
    assert [
        f"[#deploys] bot: 🔒 {STACK} locked via API (token ci-deploy): release train 42 "
        "(since 2017-02-23 22:42:36 UTC)"
    ] == api.conv.say("spy shipit locks", user="ana", channel="deploys")
    assert [f"🔓 {STACK} unlocked"] == api.call(
        "DELETE", f"/api/v1/locks/{STACK}", token="ci-deploy"
    ).json()["said"]
    gone = api.call("DELETE", f"/api/v1/locks/{STACK}", token="ci-deploy")
    assert (404, f"{STACK} is not locked.") == (gone.status_code, gone.json()["detail"])
    api.conv.say("spy shipit lock web freeze", user="ana", channel="deploys")
    assert ["web"] == [x["stack"] for x in api.call("GET", "/api/v1/locks", token="reader").json()]


def test_an_incident_through_the_api_is_the_chat_incident(api: Api, clock: FixedClock) -> None:
    """Start, note, milestone, stop: the chat commands' rules and words, on the timeline as
    `via API (token NAME)`."""
    response, said = api.said("POST", "/api/v1/incidents", token="ops",
                              json={"channel": "#war-room", "summary": "checkout is down",
                                    "imoc": "@daniella"})  # fmt: skip
    assert 201 == response.status_code, response.text
    assert 1 == response.json()["id"]
    assert "active" == response.json()["status"]
    assert (
        "[#war-room] bot: 🔥 An incident was reported at 2017-02-23 22:42:36 UTC. "
        "@daniella is the IMOC. (INC-1)"
    ) == said[0]
    assert "[#war-room] topic: 🔥 @daniella is IMOC for incident: checkout is down" in said
    twice = api.call("POST", "/api/v1/incidents", token="ops",
                     json={"channel": "war-room", "summary": "again", "imoc": "bob"})  # fmt: skip
    assert 409 == twice.status_code
    assert "INC-1 (checkout is down) is already bound to this channel" in twice.json()["detail"]

    clock.advance(minutes=1)
    noted = api.call("POST", "/api/v1/incidents/1/notes", token="ops", json={"text": "rolled back"})
    assert (200, {"said": ["📝 Noted on INC-1."]}) == (noted.status_code, noted.json())
    mitigated = api.call("POST", "/api/v1/incidents/1/milestones", token="ops",
                         json={"kind": "mitigated", "at": "2017-02-23T22:43:00Z"})  # fmt: skip
    assert ["📈 Failures mitigated at 2017-02-23 22:43:00 UTC (INC-1)."] == mitigated.json()["said"]
    tldr = "\n".join(api.conv.say("spy incident tldr", user="felix"))
    assert "@via API (token ops): Note: rolled back" in tldr

    one = api.call("GET", "/api/v1/incidents/1", token="reader").json()
    assert "daniella" == one["roles"]["imoc"]
    assert "2017-02-23T22:43:00Z" == one["milestones"]["mitigated"]
    assert ["started", "note", "mitigated"] == [e["kind"] for e in one["timeline"]]
    assert "via API (token ops)" == one["timeline"][1]["actor"]
    report = api.call("GET", "/api/v1/incidents/1/report", token="reader")
    assert report.headers["content-type"].startswith("text/markdown")
    assert "# Service disruption: checkout is down" in report.text

    response, said = api.said("POST", "/api/v1/incidents/1/stop", token="ops")
    assert 200 == response.status_code
    assert said[0].startswith("[#war-room] bot: ✅ Incident stopped at 2017-02-23 22:43:36 UTC.")
    again = api.call("POST", "/api/v1/incidents/1/stop", token="ops")
    assert (409, "INC-1 was stopped already; it cannot be changed.") == (
        again.status_code, again.json()["detail"]
    )  # fmt: skip
    missing = api.call("GET", "/api/v1/incidents/99", token="reader")
    assert (404, "There is no incident INC-99.") == (missing.status_code, missing.json()["detail"])


def test_incidents_list_active_first_with_filters(api: Api, clock: FixedClock) -> None:
    api.conv.say("spy incident start me one", user="a", channel="c1")
    api.conv.say("spy incident stop", user="a", channel="c1")
    clock.advance(hours=1)
    api.conv.say("spy incident start me two", user="a", channel="c2")
    api.conv.say("spy incident start me three", user="a", channel="support")
    listed = api.call("GET", "/api/v1/incidents", token="reader").json()
    assert [3, 2, 1] == [i["id"] for i in listed]
    assert [1] == [i["id"] for i in api.call(
        "GET", "/api/v1/incidents?status=stopped", token="reader").json()]  # fmt: skip
    assert [3] == [i["id"] for i in api.call(
        "GET", "/api/v1/incidents?team=support", token="reader").json()]  # fmt: skip
    assert [3, 2] == [i["id"] for i in api.call(
        "GET", "/api/v1/incidents?since=2017-02-23T23:00:00Z", token="reader").json()]  # fmt: skip
    unknown = api.call("GET", "/api/v1/incidents?team=nope", token="reader")
    assert 422 == unknown.status_code
    assert "I don't know the team `nope`" in unknown.json()["detail"]


def test_bad_requests_are_problem_details_and_change_nothing(api: Api) -> None:
    """No token 401, wrong scope 403, over 1 MiB 413, a bad field 422 naming it."""
    none = api.call("POST", f"/api/v1/locks/{STACK}")
    assert (401, "application/problem+json") == (none.status_code, none.headers["content-type"])
    assert {"type", "title", "status", "detail", "instance"} <= set(none.json())
    assert 401 == api.call("GET", "/api/v1/locks", token="wr_forged").status_code
    wrong = api.call("POST", f"/api/v1/locks/{STACK}", token="ops")
    assert 403 == wrong.status_code
    assert "The token `ops` has scope `respond`; this needs `deploy`." == wrong.json()["detail"]
    big = api.call("POST", "/api/v1/incidents/1/notes", token="ops",
                   content=b'{"text": "' + b"x" * (1024 * 1024) + b'"}',
                   headers={"content-type": "application/json"})  # fmt: skip
    assert (413, "application/problem+json") == (big.status_code, big.headers["content-type"])
    bad = api.call("POST", "/api/v1/incidents", token="ops", json={"channel": "war-room"})
    assert 422 == bad.status_code
    assert ["body.summary", "body.imoc"] == [e["field"] for e in bad.json()["errors"]]
    assert "body.summary: Field required" in bad.json()["detail"]
    broken = api.call("POST", "/api/v1/incidents", token="ops", content=b"{not json",
                      headers={"content-type": "application/json"})  # fmt: skip
    assert 422 == broken.status_code
    assert "ops" not in str(api.call("GET", "/api/v1/locks", token="reader").json())
    assert [] == api.call("GET", "/api/v1/incidents", token="reader").json()


def test_health_and_readiness(api: Api) -> None:
    assert {"status": "ok"} == api.call("GET", "/healthz").json()
    ready = api.call("GET", "/readyz")
    assert (200, "ok") == (ready.status_code, ready.json()["status"])
    api.state.ready = lambda: False
    down = api.call("GET", "/readyz")
    assert (503, "not connected") == (down.status_code, down.json()["checks"]["chat"])


def test_tokens_are_stored_hashed_and_revocable(api: Api) -> None:
    from sqlalchemy import select

    from warroom.store import tokens
    from warroom.store.tables import ApiTokenRow

    secret = api.tokens["ops"]
    with api.conv.app.sessions.begin() as session:
        stored = session.scalars(select(ApiTokenRow.digest)).all()
        assert secret not in stored
        assert tokens.digest(secret) in stored
        with pytest.raises(tokens.TokenError, match="exists"):
            tokens.create("ops", "read", api.conv.app.clock.now(), session=session)
        with pytest.raises(tokens.TokenError, match="is not a scope"):
            tokens.create("x", "god", api.conv.app.clock.now(), session=session)
        assert tokens.revoke("ops", session=session)
    assert 401 == api.call("GET", "/api/v1/locks", token="ops").status_code


def test_settings_defaults() -> None:
    settings = Settings()
    assert "127.0.0.1:8080" == settings.web.listen
    assert 1024 * 1024 == settings.web.max_body


@pytest.fixture
def roster_api(db_url: str, settings: Settings, clock: FixedClock) -> Iterator[Api]:
    sessions = connect(db_url)
    conv = Conversation(App(sessions=sessions, settings=with_roster(settings), clock=clock))
    made = Api(conv)
    made.token("reader", "read")
    made.token("ops", "respond")
    yield made
    made.close()
    conv.close()
    sessions.kw["bind"].dispose()


def test_pages_and_on_call_through_the_api(roster_api: Api) -> None:
    """Page a team, see it open (phone numbers only with `respond`), ack and resolve it; the
    on-call per team; the same words as `page` and `pager ack`."""
    api = roster_api
    response, said = api.said("POST", "/api/v1/pages", token="ops",
                              json={"kind": "team", "name": "datastores", "message": "disk full"})  # fmt: skip
    assert 201 == response.status_code, response.text
    assert ["📟 Paging datastores (@carol) via the builtin roster: page #1."] == (
        response.json()["said"]
    )
    assert "[dm @carol] bot: 📟 You are paged: disk full" in said
    seen = api.call("GET", "/api/v1/pages", token="ops").json()
    assert [(1, "datastores", "triggered", "via API (token ops)")] == [
        (p["id"], p["target"], p["status"], p["created_by"]) for p in seen
    ]
    assert "+1 555 0102" == seen[0]["people"][0]["phone"]
    assert "phone" not in api.call("GET", "/api/v1/pages", token="reader").json()[0]["people"][0]
    acked = api.call("POST", "/api/v1/pages/1/ack", token="ops")
    assert ["Acknowledging page #1 (datastores) in the builtin roster…"] == acked.json()["said"]
    resolved = api.call("POST", "/api/v1/pages/1/resolve", token="ops")
    assert ["Resolving page #1 (datastores) in the builtin roster…"] == resolved.json()["said"]
    assert [] == api.call("GET", "/api/v1/pages", token="ops").json()
    again = api.call("POST", "/api/v1/pages/1/resolve", token="ops")
    assert (409, "Page #1 is resolved already.") == (again.status_code, again.json()["detail"])
    nobody = api.call("POST", "/api/v1/pages", token="ops", json={"kind": "person"})
    assert (422, "name: a person to page is required") == (
        nobody.status_code, nobody.json()["detail"]
    )  # fmt: skip

    oncall = api.call("GET", "/api/v1/oncall", token="ops").json()
    assert {"datastores"} == set(oncall)
    assert [{"name": "Carol Chen", "handle": "carol", "phone": "+1 555 0102",
             "email": "carol@example.com", "timezone": "UTC"}] == oncall["datastores"]["people"]  # fmt: skip
    public = api.call("GET", "/api/v1/oncall", token="reader").json()
    assert [{"name": "Carol Chen", "handle": "carol"}] == public["datastores"]["people"]
    stats = api.call("GET", "/api/v1/rotation/stats", token="reader").json()
    assert {"metric": "pages", "key": "", "value": "0"} == stats[0]
