"""HTTP mode (`warroom run --http`): the Events API at /slack/events on the web server (bolt's
ASGI adapter), verified before bolt parses; the API on the same listener."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from helpers import start_warroom
from slack_helpers import (
    DANIELLA,
    MANIFEST_SCOPES,
    SECRET,
    USERS,
    WAR_ROOM,
    Session,
    connected,
    run,
)
from warroom.app.service import App
from warroom.cli import main
from warroom.config import Settings
from warroom.testing.fake_slack import FakeSlack


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.slack.posts_per_second = 1000.0
    return settings


def events_url(s: Session) -> str:
    assert s.web is not None
    return f"{s.web.url}/slack/events"


async def post(
    s: Session, body: dict[str, Any], *, headers: dict[str, str] | None = None, **kw: Any
) -> int:
    """POST an event to the bot as Slack does (signed), or with the given headers."""
    raw = json.dumps(body)
    sent = headers if headers is not None else s.slack.signed_headers(raw, SECRET, **kw)
    url = events_url(s)
    async with aiohttp.ClientSession() as http, http.post(url, data=raw, headers=sent) as resp:
        return resp.status


def test_signed_events_work_and_a_retry_acts_once(app: App) -> None:
    async def scenario() -> None:
        async with connected(app, http=True) as s:
            start = s.slack.message_event(DANIELLA, WAR_ROOM, "spy incident start me api is down")
            assert 200 == await post(s, start)
            s.events += 1
            assert 200 == await post(s, start, retry_num=1)  # Slack's retry: same event_id
            s.events += 1
            await s.settle()
            (started,) = s.slack.posts(WAR_ROOM)
            assert "Status summary: api is down" in started
            assert "🔥 <@U01DANIELLA> is IMOC for incident: api is down" == (
                s.slack.channels[WAR_ROOM].topic
            )

    run(scenario)


def test_forged_or_replayed_requests_get_401_and_change_nothing(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        async with connected(app, http=True) as s:
            start = s.slack.message_event(DANIELLA, WAR_ROOM, "spy incident start me api is down")
            raw = json.dumps(start)
            forged = s.slack.signed_headers(raw, "not-the-secret")
            assert 401 == await post(s, start, headers=forged)
            stale = int(time.time()) - 6 * 60
            assert 401 == await post(s, start, timestamp=stale)  # a captured request, replayed
            unsigned = {"Content-Type": "application/json"}
            assert 401 == await post(s, start, headers=unsigned)
            assert [] == [c for c in s.slack.calls if c.method != "auth.test"]
            assert 0 == s.bot.handled
            # The same event, properly signed, still works: nothing was recorded for it.
            assert 200 == await post(s, start)
            s.events += 1
            await s.settle()
            assert 1 == len(s.slack.posts(WAR_ROOM))

    with caplog.at_level(logging.WARNING, logger="warroom"):
        run(scenario)
    refused = [
        r.getMessage() for r in caplog.records if "bad or stale Slack signature" in r.getMessage()
    ]
    assert 3 == len(refused)


def test_slash_commands_over_http_are_signed_form_posts(app: App) -> None:
    async def scenario() -> None:
        async with connected(app, http=True) as s:
            form = s.slack.slash_payload(
                "/incident", "start me search is slow", user=DANIELLA, channel=WAR_ROOM
            )
            raw = urlencode(form)
            headers = s.slack.signed_headers(raw, SECRET)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            url = events_url(s)
            async with (
                aiohttp.ClientSession() as http,
                http.post(url, data=raw, headers=headers) as resp,
            ):
                assert 200 == resp.status
            s.events += 1
            await s.settle()
            (started,) = s.slack.posts(WAR_ROOM)
            assert "Status summary: search is slow" in started

    run(scenario)


def test_run_refuses_http_mode_without_a_signing_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    assert 2 == main(["run", "--http", "127.0.0.1:3000"])
    assert "--http needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET" in capsys.readouterr().err
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    assert 2 == main(["run", "--http", "3000"])
    assert "expected HOST:PORT" in capsys.readouterr().err


async def post_raw(s: Session, raw: str, headers: dict[str, str]) -> int:
    url = events_url(s)
    async with aiohttp.ClientSession() as http, http.post(url, data=raw, headers=headers) as resp:
        return resp.status


def test_bad_input_is_4xx_with_one_log_line_never_a_traceback(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    """The signature is checked first, on the raw bytes; then the body is parsed."""

    async def scenario() -> None:
        async with connected(app, http=True) as s:
            body = json.dumps(s.slack.message_event(DANIELLA, WAR_ROOM, "spy incidents"))
            headers = s.slack.signed_headers(body, SECRET)
            headers["X-Slack-Request-Timestamp"] = "soon"
            assert 401 == await post_raw(s, body, headers)
            for raw in ("{not json", "[1, 2]", '"text"'):
                assert 400 == await post_raw(s, raw, s.slack.signed_headers(raw, SECRET))
                forged = s.slack.signed_headers(raw, "not-the-secret")
                assert 401 == await post_raw(s, raw, forged)
            form = "payload=%5B1%5D"
            headers = s.slack.signed_headers(form, SECRET)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            assert 400 == await post_raw(s, form, headers)
            assert 0 == s.bot.handled

    with caplog.at_level(logging.WARNING):
        run(scenario)
    assert not [r for r in caplog.records if r.exc_info is not None or r.levelno >= logging.ERROR]
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert 8 == len(refusals), refusals
    assert 4 == sum("not valid JSON" in r or "not an object" in r for r in refusals)


def test_one_listener_serves_slack_the_api_and_the_health_checks(app: App) -> None:
    """HTTP mode: Slack's events, the API, /metrics, /healthz and /readyz on one port."""

    async def scenario() -> None:
        async with connected(app, http=True) as s:
            assert s.web is not None
            base = s.web.url
            async with aiohttp.ClientSession() as http:
                for path in ("/healthz", "/readyz", "/metrics", "/api/v1/openapi.json"):
                    async with http.get(base + path) as resp:
                        assert 200 == resp.status, path
                async with http.get(base + "/readyz") as resp:
                    assert "ok" == (await resp.json())["checks"]["chat"]
                async with http.get(base + "/api/v1/openapi.json") as resp:
                    assert "/slack/events" not in (await resp.json())["paths"]
                async with http.get(base + "/slack/events") as resp:
                    assert 405 == resp.status  # Slack only POSTs
            start = s.slack.message_event(DANIELLA, WAR_ROOM, "spy incident start me db is down")
            assert 200 == await post(s, start)
            s.events += 1
            await s.settle()
            assert 1 == len(s.slack.posts(WAR_ROOM))

    run(scenario)


def test_run_http_is_the_web_servers_address(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    for extra in (["--web", "127.0.0.1:8081"], ["--no-web"]):
        assert 2 == main(["run", "--http", "127.0.0.1:3000", *extra])
        assert "--http HOST:PORT is where the web server listens" in capsys.readouterr().err


def test_warroom_run_http_is_one_listener(tmp_path: Path) -> None:
    """`warroom run --http HOST:PORT`, the real process: Slack's signed event is answered and
    the API's health checks are on the same port."""
    port = free_port()

    async def scenario() -> None:
        async with FakeSlack(users=USERS, scopes=MANIFEST_SCOPES) as slack:
            slack.channel(WAR_ROOM, "war-room")
            env = {"SLACK_BOT_TOKEN": "xoxb-http", "SLACK_SIGNING_SECRET": SECRET,
                   "SLACK_API_URL": slack.api_url}  # fmt: skip
            db = f"sqlite:///{tmp_path / 'http.db'}"
            proc = start_warroom(
                "run", "--db", db, "--http", f"127.0.0.1:{port}", tmp_path=tmp_path, env=env,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            base = f"http://127.0.0.1:{port}"
            try:
                async with aiohttp.ClientSession() as http:
                    for _ in range(300):
                        with contextlib.suppress(aiohttp.ClientError):
                            async with http.get(base + "/readyz") as resp:
                                if resp.status == 200:
                                    break
                        await asyncio.sleep(0.1)
                    raw = json.dumps(
                        slack.message_event(DANIELLA, WAR_ROOM, "spy incident start me api down")
                    )
                    headers = slack.signed_headers(raw, SECRET)
                    async with http.post(base + "/slack/events", data=raw, headers=headers) as resp:
                        assert 200 == resp.status
                    await slack.wait_calls("conversations.setTopic", 1, timeout=30)
            finally:
                proc.terminate()
                _, err = await asyncio.to_thread(proc.communicate, timeout=60)
            assert 0 == proc.returncode, err
            assert f"Slack's Events API on {base}/slack/events" in err
            assert f"API on {base}/api/v1/" in err

    asyncio.run(scenario())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
