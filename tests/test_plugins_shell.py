"""The shipped example plugins run for real through `warroom shell`, and `warroom plugins
list|check`, as users run them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from helpers import run_warroom
from plugin_helpers import EXAMPLES, description, write_plugin

pytestmark = pytest.mark.slow


def config(tmp_path: Path, plugins: dict[str, dict[str, object]]) -> Path:
    path = tmp_path / "warroom.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "bot": {"aliases": ["spy"]},
                "web": {"enabled": False},
                "plugins": {"enabled": plugins},
            }
        ),
        encoding="utf-8",
    )
    return path


EXAMPLE_PLUGINS: dict[str, dict[str, object]] = {
    "hosts": {"command": [str(EXAMPLES / "uptime.sh")]},
    "runbooks": {
        "command": [sys.executable, str(EXAMPLES / "runbooks.py")],
        "env": {"RUNBOOKS": "checkout=https://rb.example/checkout"},
    },
    "announce": {
        "command": [sys.executable, str(EXAMPLES / "announce.py")],
        "env": {"ANNOUNCE_CHANNEL": "incidents"},
    },
}


def test_the_examples_through_the_shell(tmp_path: Path) -> None:
    script = [
        "spy uptime localhost",
        "spy incident start me checkout is down",
        "spy runbook",
        "spy incident tldr",
        "spy help",
    ]
    done = run_warroom(
        "shell", "--db", f"sqlite:///{tmp_path / 'w.db'}", "--user", "alice",
        "--config", str(config(tmp_path, EXAMPLE_PLUGINS)), tmp_path=tmp_path, stdin=script,
    )  # fmt: skip
    assert 0 == done.returncode, done.stderr
    out = done.stdout
    assert "[#war-room] warroom: localhost: " in out
    assert (
        "[#incidents] warroom: 🔥 INC-1 started in #war-room: checkout is down (IMOC: alice)" in out
    )
    assert "[#war-room] warroom: 📘 checkout: https://rb.example/checkout" in out
    assert "Runbooks posted: checkout" in out  # the note, on the tldr's timeline
    assert "🧩 `runbook [service...]` — Runbook links for the services named" in out


def test_plugins_list_and_check(tmp_path: Path) -> None:
    path = config(tmp_path, EXAMPLE_PLUGINS)
    listed = run_warroom("plugins", "list", "--config", str(path), tmp_path=tmp_path)
    assert 0 == listed.returncode, listed.stderr
    assert f"hosts: {EXAMPLES / 'uptime.sh'} (contract 1)" in listed.stdout
    assert "  uptime [host...] — How long each host has been up, and its load. (in: both)" in (
        listed.stdout
    )
    assert "  events: incident.started, incident.stopped" in listed.stdout
    checked = run_warroom("plugins", "check", "--config", str(path), tmp_path=tmp_path)
    assert 0 == checked.returncode, checked.stderr
    assert "✓ hosts uptime" in checked.stdout
    assert "✓ runbooks runbook" in checked.stdout


def test_check_fails_on_a_plugin_whose_dry_call_fails(tmp_path: Path) -> None:
    broken = write_plugin(tmp_path, "broken", "print('oops')")
    path = config(tmp_path, {"broken": {"command": broken}})
    checked = run_warroom("plugins", "check", "--config", str(path), tmp_path=tmp_path)
    assert 1 == checked.returncode
    assert "✗ broken broken: gave invalid output (output line 1 is not JSON)" in checked.stdout


def test_a_plugin_missing_at_start_stops_the_shell_with_the_reason(tmp_path: Path) -> None:
    path = config(tmp_path, {"gone": {"command": [str(tmp_path / "nope.sh")]}})
    done = run_warroom(
        "shell", "--db", f"sqlite:///{tmp_path / 'w.db'}", "--config", str(path),
        tmp_path=tmp_path, stdin=["spy help"],
    )  # fmt: skip
    assert 2 == done.returncode
    assert f"warroom: plugin gone: `describe` {tmp_path / 'nope.sh'} was not found" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_plugin_shadowing_a_built_in_stops_the_start(tmp_path: Path) -> None:
    greedy = write_plugin(tmp_path, "greedy", "pass", describe=description("greedy", "page"))
    path = config(tmp_path, {"greedy": {"command": greedy}})
    done = run_warroom("plugins", "check", "--config", str(path), tmp_path=tmp_path)
    assert 2 == done.returncode
    assert "warroom: plugin greedy: the command `page` exists already" in done.stderr
