"""Contract tests: each vendor client against the vendor's own published API description,
served by the Prism mock (`tests/specs/mock`), which answers a request that breaks the
contract with a 4xx and an `sl-violations` header. Every request our clients make must pass.

The specs are kept in tests/specs (see its README.md for their sources and licences), so a
clone alone runs these tests. Needs Node.js; skips with the reason where it is missing, fails
instead under CI=true.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from warroom.core.oncall import Contact
from warroom.providers.jira import JiraTracker
from warroom.providers.opsgenie import OpsgeniePager
from warroom.providers.pagerduty import PagerDutyPager, Route

pytestmark = pytest.mark.slow

SPECS = Path(__file__).resolve().parent / "specs"
READY = "Prism is listening"
START_TIMEOUT = 180  # the first start installs Prism from the npm registry
# The Jira spec with `/rest/api/3/search/jql` added (see `jira_with_search_jql`).
JIRA = "jira-platform-v3-jql"


def _prism_home() -> Path:
    return Path(os.environ.get("PRISM_HOME") or Path.home() / ".cache" / "prism")


def jira_with_search_jql(spec: dict[str, Any]) -> dict[str, Any]:
    """The patch: the Jira spec we have (2022-07) predates `/rest/api/3/search/jql`, which
    replaced `/rest/api/3/search` on Jira Cloud (the old path answers 410 Gone). Atlassian
    documents the new operation (searchAndReconsileIssuesUsingJql) with the old one's query
    parameters except `startAt` and `validateQuery`, plus `nextPageToken` and `reconcileIssues`,
    and a result of `issues`, `nextPageToken` and `isLast`. This adds it, built from the old
    operation, so the contract test checks our search against it; the old path is left as it
    is (the spec still describes it)."""
    old = spec["paths"]["/rest/api/3/search"]
    get = copy.deepcopy(old["get"])
    get["operationId"] = "searchAndReconsileIssuesUsingJql"
    get["summary"] = "Search for issues using JQL enhanced search (GET)"
    get["parameters"] = [
        p for p in get["parameters"] if p.get("name") not in ("startAt", "validateQuery")
    ] + [
        {"name": "nextPageToken", "in": "query", "schema": {"type": "string"}},
        {"name": "reconcileIssues", "in": "query",
         "schema": {"type": "array", "items": {"type": "integer", "format": "int64"}}},
    ]  # fmt: skip
    result = {
        "type": "object",
        "properties": {
            "issues": {"type": "array", "items": {"$ref": "#/components/schemas/IssueBean"}},
            "nextPageToken": {"type": "string"},
            "isLast": {"type": "boolean"},
        },
    }
    example = {"issues": [{"id": "10002", "key": "ED-1", "fields": {"summary": "x"}}],
               "isLast": True}  # fmt: skip
    get["responses"]["200"]["content"] = {
        "application/json": {"schema": result, "example": example}
    }
    post = copy.deepcopy(get)
    post["operationId"] = "searchAndReconsileIssuesUsingJqlPost"
    post["summary"] = "Search for issues using JQL enhanced search (POST)"
    post["parameters"] = []
    post["requestBody"] = {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object", "properties": {
            "jql": {"type": "string"}, "nextPageToken": {"type": "string"},
            "maxResults": {"type": "integer", "format": "int32"},
            "fields": {"type": "array", "items": {"type": "string"}},
            "expand": {"type": "string"},
        }}}},
    }  # fmt: skip
    spec["paths"]["/rest/api/3/search/jql"] = {"get": get, "post": post}
    return spec


def _write_jira_spec() -> None:
    """The mock-ready Jira spec (../shared/specs/patch.py's fix) with the patch above, beside
    the other mock-ready specs, under a name of its own (nothing else's file is touched)."""
    module = importlib.util.spec_from_file_location("vendor_spec_patch", SPECS / "patch.py")
    assert module is not None
    assert module.loader is not None
    patch = importlib.util.module_from_spec(module)
    module.loader.exec_module(patch)
    spec = json.loads((SPECS / "jira-platform-v3.json").read_text())
    spec = jira_with_search_jql(patch.FIXES["jira-platform-v3"](spec))
    target = _prism_home() / "specs" / f"{JIRA}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(spec))
    partial.replace(target)


def _missing() -> str | None:
    if not (SPECS / "mock").is_file():
        return f"no vendor specs at {SPECS}"
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed: the Prism mock needs Node.js"
    return None


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the contract tests must run)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Mock:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


class Mocks:
    """Prism mocks started on demand, once per test session, each on a free port."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: dict[str, Mock] = {}

    def url(self, name: str) -> str:
        return self.running[name].url

    def start(self, names: list[str]) -> None:
        """Start them all at once (Prism takes seconds to load a large spec), then wait. On a
        fresh machine the first one alone installs Prism and writes the mock-ready specs, so
        that parallel starts do not race on the same install."""
        home = _prism_home()
        ready = (home / "node_modules" / ".bin" / "prism").exists() and all(
            (home / "specs" / f"{name}.json").exists() for name in names
        )
        if not ready:
            self._launch(names[0])
            self._wait()
        for name in names:
            if name not in self.running:
                self._launch(name)
        self._wait()

    def _launch(self, name: str) -> None:
        port = _free_port()
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                ["bash", str(SPECS / "mock"), name, str(port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.running[name] = Mock(f"http://127.0.0.1:{port}", process, log)

    def _wait(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        for name, mock in self.running.items():
            while READY not in mock.log.read_text(errors="replace"):
                if mock.process.poll() is not None or time.monotonic() > deadline:
                    tail = mock.log.read_text(errors="replace")[-2000:]
                    self.close()
                    _skip_or_fail(f"the Prism mock for {name} did not start:\n{tail}")
                time.sleep(0.2)

    @staticmethod
    def _stop(process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def close(self) -> None:
        for mock in self.running.values():
            self._stop(mock.process)


@pytest.fixture(scope="session")
def mocks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mocks]:
    reason = _missing()
    if reason:
        _skip_or_fail(reason)
    started = Mocks(tmp_path_factory.mktemp("prism"))
    _write_jira_spec()
    started.start(["opsgenie-swagger", "pagerduty-rest", "pagerduty-events-v2", JIRA])
    yield started
    started.close()


@dataclass(frozen=True)
class Seen:
    method: str
    url: str
    status: int
    violations: str | None


def record(client: httpx.AsyncClient, seen: list[Seen]) -> None:
    async def hook(response: httpx.Response) -> None:
        request = response.request
        violations = response.headers.get("sl-violations")
        seen.append(Seen(request.method, str(request.url), response.status_code, violations))

    client.event_hooks["response"].append(hook)


def check(seen: list[Seen], expected_calls: int) -> None:
    broken = [s for s in seen if s.status >= 400 or s.violations]
    assert [] == broken, "requests the vendor's contract refuses"
    assert expected_calls <= len(seen)


def run(client: Any, *steps: Callable[[], Awaitable[Any]]) -> None:
    import asyncio

    async def go() -> None:
        try:
            for step in steps:
                await step()
        finally:
            await client.aclose()

    asyncio.run(go())


def test_opsgenie_client_keeps_the_opsgenie_contract(mocks: Mocks) -> None:
    pager = OpsgeniePager(api_url=mocks.url("opsgenie-swagger"), api_key="key", timeout=30)
    seen: list[Seen] = []
    record(pager._client, seen)
    person = Contact("Alice", email="alice@example.com")
    run(
        pager,
        lambda: pager.on_call(schedule="IMOC Primary"),
        lambda: pager.trigger(
            key="warroom-inc1-commanders",
            summary="checkout is down",
            schedules=["IMOC Primary", "IMOC Backup"],
            people=[person],
        ),
        lambda: pager.trigger(
            key="warroom-page2-user-alice", summary="x", schedules=[], people=[person]
        ),
        lambda: pager.acknowledge(key="warroom-inc1-commanders"),
        lambda: pager.resolve(key="warroom-inc1-commanders"),
    )
    check(seen, 5)


def test_pagerduty_rest_client_keeps_the_pagerduty_contract(mocks: Mocks) -> None:
    """On-calls and contact methods; a team's page as an incident on its service with its
    escalation policy; a person's page assigned to them; acknowledging by the incident's key."""
    url = mocks.url("pagerduty-rest")
    pager = PagerDutyPager(
        api_url=url, events_url=url, api_token="token", timeout=30,
        routes={"PDS1": Route(service="PSVC1", escalation_policy="PEP1")},
        from_email="bot@example.com", person_service="PSVC2",
    )  # fmt: skip
    seen: list[Seen] = []
    record(pager._client, seen)
    # The spec's example answer to `GET /users` holds this user.
    person = Contact("Earline", email="125.greenholt.earline@graham.name")
    run(
        pager,
        lambda: pager.on_call(schedule="PDS1"),
        lambda: pager._fetch_phone("PU1"),
        lambda: pager.trigger(
            key="warroom-inc1-team-db", summary="disk full", schedules=["PDS1"], people=[]
        ),
        lambda: pager.trigger(
            key="warroom-page2-user-earline", summary="x", schedules=[], people=[person]
        ),
        lambda: pager._rest_change("warroom-inc1-team-db", "acknowledged"),
    )
    check(seen, 6)


def test_pagerduty_events_client_keeps_the_events_contract(mocks: Mocks) -> None:
    events = mocks.url("pagerduty-events-v2")
    # The spec's server is https://events.pagerduty.com/v2: the mock serves /enqueue at its root.
    pager = PagerDutyPager(
        api_url="http://127.0.0.1:9", events_url=events, api_token=None, timeout=30,
        routes={"PDS1": Route(routing_key="R0UT1NGKEY0000000000000000000000")},
    )  # fmt: skip
    seen: list[Seen] = []
    record(pager._client, seen)
    run(
        pager,
        lambda: pager.trigger(
            key="warroom-inc1-commanders", summary="checkout is down", schedules=["PDS1"], people=[]
        ),
        lambda: pager.acknowledge(key="warroom-inc1-commanders"),
        lambda: pager.resolve(key="warroom-inc1-commanders"),
    )
    check(seen, 3)


def test_jira_client_keeps_the_jira_contract(mocks: Mocks) -> None:
    tracker = JiraTracker(
        url=mocks.url(JIRA), project="OPS", issue_type="Incident",
        email="bot@example.com", api_token="token", timeout=30,
    )  # fmt: skip
    seen: list[Seen] = []
    record(tracker._client, seen)
    run(
        tracker,
        lambda: tracker.find_issue(label="warroom-inc1"),
        lambda: tracker.create_issue(
            label="warroom-inc1",
            summary="INC-1: checkout is down",
            description="checkout is down\nWar room: #ir-1",
        ),
        lambda: tracker.issue_states(keys=["warroom-inc1-action1", "warroom-inc1-action2"]),
    )
    check(seen, 3)
