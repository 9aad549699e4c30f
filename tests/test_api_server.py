"""The real server: `warroom shell --web` serves the API from the bot's process (uvicorn on
the runtime's loop), and `warroom lock check` answers a pipeline with its exit code."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from slack_helpers import DANIELLA, MANIFEST_SCOPES, WAR_ROOM
from warroom.cli import main
from warroom.testing.fake_slack import FakeSlack

pytestmark = pytest.mark.slow


def test_the_shell_serves_the_api_and_lock_check_exits_0_1_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = f"sqlite:///{tmp_path / 'w.db'}"
    assert 0 == main(["token", "create", "ci-deploy", "--scope", "deploy", "--db", db])
    made = capsys.readouterr()
    secret = made.out.strip()
    assert secret.startswith("wr_")
    assert "shown only this once" in made.err
    assert 0 == main(["token", "list", "--db", db])
    assert "ci-deploy\tdeploy\tcreated" in capsys.readouterr().out
    monkeypatch.setenv("CI_TOKEN", secret)

    env = {**os.environ, "HOME": str(tmp_path), "WARROOM_REPORTS__DIR": str(tmp_path / "r")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "warroom", "shell", "--db", db, "--user", "emil",
         "--channel", "deploys", "--web", "127.0.0.1:0"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert proc.stdin is not None
    assert proc.stdout is not None
    assert proc.stderr is not None
    url = ""

    def check(stack: str = "shopify/web") -> tuple[int, str, str]:
        code = main(["lock", "check", stack, "--url", url, "--token-env", "CI_TOKEN"])
        out = capsys.readouterr()
        return code, out.out, out.err

    try:
        for line in proc.stderr:
            found = re.search(r"API on (http://127\.0\.0\.1:\d+)/api/v1/", line)
            if found:
                url = found[1]
                break
        assert url, "the shell did not say where the API is"
        assert (0, "🔓 shopify/web is not locked\n", "") == check()
        proc.stdin.write("warroom shipit lock shopify/web release freeze\n")
        proc.stdin.flush()
        assert "🔒 shopify/web locked by @emil: release freeze" in proc.stdout.readline()
        code, out, _ = check()
        assert 1 == code
        assert re.fullmatch(r"🔒 shopify/web locked by @emil since 20\S+: release freeze\n", out)
        headers = {"Authorization": f"Bearer {secret}"}
        gone = httpx.delete(f"{url}/api/v1/locks/shopify/web", headers=headers, timeout=10)
        assert (200, ["🔓 shopify/web unlocked"]) == (gone.status_code, gone.json()["said"])
        assert 0 == check()[0]
        assert 200 == httpx.get(f"{url}/readyz", timeout=10).status_code
    finally:
        proc.stdin.close()
        assert 0 == proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
    code, _, err = check()
    assert 2 == code
    assert "cannot tell whether shopify/web is locked" in err
    monkeypatch.delenv("CI_TOKEN")
    assert (2, "", "warroom: set CI_TOKEN to an API token (scope read)\n") == check()


def test_warroom_run_on_slack_serves_the_api_and_delivers_its_effects_on_slack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An incident started through the API is announced on Slack by the bot's own runtime."""
    db = f"sqlite:///{tmp_path / 'run.db'}"
    assert 0 == main(["token", "create", "monitor", "--scope", "respond", "--db", db])
    secret = capsys.readouterr().out.strip()

    async def scenario() -> None:
        async with FakeSlack(scopes=MANIFEST_SCOPES) as slack:
            slack.channel(WAR_ROOM, "war-room")
            env = {
                **os.environ, "SLACK_BOT_TOKEN": "xoxb-run", "SLACK_APP_TOKEN": "xapp-run",
                "SLACK_API_URL": slack.api_url, "WARROOM_REPORTS__DIR": str(tmp_path / "r"),
                "HOME": str(tmp_path),
            }  # fmt: skip
            proc = subprocess.Popen(
                [sys.executable, "-m", "warroom", "run", "--db", db, "--web", "127.0.0.1:0"],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            assert proc.stderr is not None
            try:
                url = ""
                while not url:
                    line = await asyncio.to_thread(proc.stderr.readline)
                    assert line, "warroom run stopped before serving the API"
                    found = re.search(r"API on (http://127\.0\.0\.1:\d+)/api/v1/", line)
                    url = found[1] if found else ""
                await slack.wait_connected(timeout=30)
                async with httpx.AsyncClient(base_url=url, timeout=10) as client:
                    response = await client.post(
                        "/api/v1/incidents",
                        headers={"Authorization": f"Bearer {secret}"},
                        json={"channel": WAR_ROOM, "summary": "api down", "imoc": DANIELLA},
                    )
                assert 201 == response.status_code, response.text
                await slack.wait_calls("conversations.setTopic", 1, timeout=30)
            finally:
                proc.terminate()
                await asyncio.to_thread(proc.communicate, timeout=30)
            assert 0 == proc.returncode
            assert any("An incident was reported" in post for post in slack.posts(WAR_ROOM))

    asyncio.run(scenario())
