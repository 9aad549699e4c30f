"""Helpers shared by the tests: the factory fixtures' types, and `warroom` run as a subprocess
the way users run it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from warroom.app.service import App
from warroom.config import Settings
from warroom.testing import Conversation


class MakeApp(Protocol):
    def __call__(self, settings: Settings | None = None) -> App: ...


class AsyncClosable(Protocol):
    async def aclose(self) -> None: ...


class MakeConversation(Protocol):
    def __call__(
        self,
        app: App | None = None,
        *,
        settings: Settings | None = None,
        closing: Sequence[AsyncClosable] = (),
        **ports: Any,
    ) -> Conversation: ...


def warroom_env(tmp_path: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a `warroom` subprocess: this one's without any WARROOM_* setting from
    outside, HOME (the shell's history) and the reports in `tmp_path`, then `env`."""
    return {
        **{key: value for key, value in os.environ.items() if not key.startswith("WARROOM_")},
        "HOME": str(tmp_path),
        "WARROOM_REPORTS__DIR": str(tmp_path / "reports"),
        **(env or {}),
    }


def warroom_command(*args: str) -> list[str]:
    """`warroom ARGS` as this interpreter runs it."""
    return [sys.executable, "-m", "warroom", *args]


def run_warroom(
    *args: str,
    tmp_path: Path,
    stdin: str | list[str] = "",
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run `warroom ARGS` to its end; `stdin` as text, or as lines (a shell script)."""
    text = "\n".join(stdin) + "\n" if isinstance(stdin, list) else stdin
    return subprocess.run(
        warroom_command(*args),
        input=text,
        capture_output=True,
        text=True,
        env=warroom_env(tmp_path, env),
        timeout=timeout,
        check=False,
    )


def start_warroom(
    *args: str, tmp_path: Path, env: dict[str, str] | None = None, **popen: Any
) -> subprocess.Popen[Any]:
    """Start `warroom ARGS` in the background; `popen` goes to Popen (pipes, `text=True`)."""
    return subprocess.Popen(warroom_command(*args), env=warroom_env(tmp_path, env), **popen)


def jira_transition(jira: Any, issue: str, to: str) -> Any:
    """What someone does in Jira: move `issue` through its workflow (fake Jira's transition IDs:
    11 To Do, 21 In Progress, 31 Done, 41 Won't Do), over HTTP as Jira's own UI does."""
    import httpx

    return httpx.post(
        f"{jira.url}/rest/api/3/issue/{issue}/transitions",
        json={"transition": {"id": to}},
        auth=("bot@example.com", "jira-token"),
    )
