"""`warroom run` as users run it: Slack in Socket Mode when the tokens are in the environment,
every Web API call (apps.connections.open included) to SLACK_API_URL."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from slack_helpers import DANIELLA, MANIFEST_SCOPES, WAR_ROOM
from warroom.testing.fake_slack import FakeSlack

pytestmark = pytest.mark.slow


def test_warroom_run_connects_to_slack_api_url_and_answers(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeSlack(scopes=MANIFEST_SCOPES) as slack:
            slack.channel(WAR_ROOM, "war-room")
            env = {
                **os.environ,
                "SLACK_BOT_TOKEN": "xoxb-run",
                "SLACK_APP_TOKEN": "xapp-run",
                "SLACK_API_URL": slack.api_url,
                "WARROOM_REPORTS__DIR": str(tmp_path / "reports"),
                "HOME": str(tmp_path),
            }
            db = f"sqlite:///{tmp_path / 'run.db'}"
            proc = subprocess.Popen(
                [sys.executable, "-m", "warroom", "run", "--db", db],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            try:
                await slack.wait_connected(timeout=30)
                envelope = await slack.message(DANIELLA, WAR_ROOM, "spy incident start me api down")
                await slack.wait_ack(envelope)
                await slack.wait_calls("conversations.setTopic", 1, timeout=30)
            finally:
                proc.terminate()  # SIGTERM: a clean stop
                _, err = await asyncio.to_thread(proc.communicate, timeout=30)
            assert 0 == proc.returncode, err.decode()
            assert [("xapp-run", 1)] == [
                (c.token, slack.connections_opened) for c in slack.called("apps.connections.open")
            ]
            (started,) = slack.posts(WAR_ROOM)
            assert "Status summary: api down" in started
            assert "xoxb-run" == slack.called("chat.postMessage")[0].token
            assert "Slack (Socket Mode" in err.decode()

    asyncio.run(scenario())
