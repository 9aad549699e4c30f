"""Against the real Prometheus Alertmanager (Debian's `prometheus-alertmanager`): alerts posted
to its API reach warroom through its webhook receiver, page exactly once, and resolve."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from paging_config import with_roster
from warroom.app.service import App
from warroom.config import Settings
from warroom.config.web import AlertRoute
from warroom.store import tokens
from warroom.store.db import connect
from warroom.testing import Conversation, FixedClock
from warroom.web.server import WebServer

pytestmark = pytest.mark.slow
BINARIES = ("prometheus-alertmanager", "alertmanager")


def _binary() -> str:
    for name in BINARIES:
        found = shutil.which(name)
        if found:
            return found
    reason = "Alertmanager is not installed (apt-get install prometheus-alertmanager)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true: this test must run")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def warroom(
    tmp_path: Path, settings: Settings, clock: FixedClock
) -> Iterator[tuple[Conversation, str, str]]:
    routed = with_roster(settings)
    routed.alerts.routes = [AlertRoute(match={"team": "datastores"}, team="datastores")]
    sessions = connect(f"sqlite:///{tmp_path / 'w.db'}")
    conv = Conversation(App(sessions=sessions, settings=routed, clock=clock))
    with sessions.begin() as session:
        secret = tokens.create("alertmanager", "respond", clock.now(), session=session)
    server = WebServer(conv.runtime, "127.0.0.1", 0)
    conv.loop.run_until_complete(server.start())
    yield conv, server.url, secret
    conv.loop.run_until_complete(server.stop())
    conv.close()
    sessions.kw["bind"].dispose()


@pytest.fixture
def alertmanager(tmp_path: Path, warroom: tuple[Conversation, str, str]) -> Iterator[str]:
    binary = _binary()
    _, url, secret = warroom
    port = _free_port()
    config = tmp_path / "alertmanager.yml"
    config.write_text(
        f"""
route:
  receiver: warroom
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: warroom
    webhook_configs:
      - url: {url}/api/v1/alerts/alertmanager
        send_resolved: true
        http_config:
          authorization:
            credentials: {secret}
"""
    )
    proc = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.path={tmp_path / 'am'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
         "--log.level=warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{base}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "Alertmanager did not become ready"
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _wait(conv: Conversation, done: object, seconds: float = 15) -> None:
    async def poll() -> None:
        deadline = time.monotonic() + seconds
        while not done():  # type: ignore[operator]
            assert time.monotonic() < deadline, "timed out"
            await asyncio.sleep(0.05)
        await conv.runtime.wait_idle()

    conv.loop.run_until_complete(poll())


def test_alerts_posted_to_alertmanager_page_once_and_resolve(
    warroom: tuple[Conversation, str, str], alertmanager: str
) -> None:
    conv, _, _ = warroom
    now = datetime.now(UTC)
    alert = {
        "labels": {"alertname": "DiskFull", "team": "datastores", "instance": "db-1"},
        "annotations": {"summary": "disk 95% full on db-1"},
        "startsAt": (now - timedelta(minutes=1)).isoformat(),
    }
    second = {**alert, "labels": {**alert["labels"], "instance": "db-2"}}
    for body in ([alert], [alert, second], [alert]):  # re-sent, and a second alert in the group
        assert 200 == httpx.post(f"{alertmanager}/api/v2/alerts", json=body, timeout=5).status_code

    def paged() -> list[str]:
        return [x for x in conv.chat.lines(0) if x.startswith("[dm @carol] bot: 📟 You are paged")]

    _wait(conv, lambda: paged())
    conv.loop.run_until_complete(asyncio.sleep(2.5))  # group_interval passes twice
    assert 1 == len(paged()), conv.chat.lines(0)
    assert "DiskFull: disk 95% full on db-1" in paged()[0]

    ended = datetime.now(UTC).isoformat()
    resolved = [{**a, "endsAt": ended} for a in (alert, second)]
    assert 200 == httpx.post(f"{alertmanager}/api/v2/alerts", json=resolved, timeout=5).status_code

    def resolved_said() -> bool:
        return any("✅ Alert resolved: DiskFull" in x for x in conv.chat.lines(0))

    _wait(conv, resolved_said)
    assert 1 == len(paged())
    assert "[#datastores] bot: Resolving page #1 (datastores) in the builtin roster…" in (
        conv.chat.lines(0)
    )
