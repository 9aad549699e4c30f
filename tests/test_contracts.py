"""Contract tests: each vendor client against the vendor's own published API description,
served by the Prism mock (`tests/specs/mock`), which answers a request that breaks the
contract with a 4xx and an `sl-violations` header. Every request our clients make must pass.

The specs are kept in tests/specs (see its README.md for their sources and licences), so a
clone alone runs these tests. Needs Node.js; skips with the reason where it is missing, fails
instead under CI=true.
"""

from __future__ import annotations

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
from warroom.providers.pagerduty import PagerDutyPager

pytestmark = pytest.mark.slow

SPECS = Path(__file__).resolve().parent / "specs"
READY = "Prism is listening"
START_TIMEOUT = 180  # the first start installs Prism from the npm registry


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
        home = Path(os.environ.get("PRISM_HOME") or Path.home() / ".cache" / "prism")
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
    started.start(["opsgenie-swagger", "pagerduty-rest", "pagerduty-events-v2", "jira-platform-v3"])
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
    url = mocks.url("pagerduty-rest")
    pager = PagerDutyPager(
        api_url=url, events_url=url, api_token="token", routing_key="r", timeout=30
    )
    seen: list[Seen] = []
    record(pager._client, seen)
    run(
        pager,
        lambda: pager.on_call(schedule="PDS1"),
        lambda: pager._phone("PU1"),
    )
    check(seen, 2)


def test_pagerduty_events_client_keeps_the_events_contract(mocks: Mocks) -> None:
    events = mocks.url("pagerduty-events-v2")
    # The spec's server is https://events.pagerduty.com/v2: the mock serves /enqueue at its root.
    pager = PagerDutyPager(
        api_url="http://127.0.0.1:9", events_url=events, api_token=None,
        routing_key="R0UT1NGKEY0000000000000000000000", timeout=30,
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
        url=mocks.url("jira-platform-v3"), project="OPS", issue_type="Incident",
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
    )
    check(seen, 2)
