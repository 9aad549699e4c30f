"""manifest.yml lists exactly what the Slack adapter uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from warroom.chat.slack import EVENTS
from warroom.config import Settings

MANIFEST = Path(__file__).parents[1] / "manifest.yml"


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())
    return data


def test_the_manifest_has_the_configured_slash_commands() -> None:
    commands = {c["command"] for c in manifest()["features"]["slash_commands"]}
    assert set(Settings().slack.slash_commands) == commands
    assert all(c["should_escape"] for c in manifest()["features"]["slash_commands"])


def test_the_manifest_subscribes_to_exactly_the_events_the_app_listens_to() -> None:
    expected = {name for names in EVENTS.values() for name in names}
    assert expected == set(manifest()["settings"]["event_subscriptions"]["bot_events"])
    assert manifest()["settings"]["socket_mode_enabled"] is True
