"""Spy's short forms (seeds 002 and 004): what people type from Spy's docs and habits works."""

from __future__ import annotations

from pathlib import Path

from helpers import run_warroom
from warroom.testing import Conversation, FixedClock


def test_incident_tldr_in_a_dm_uses_the_only_active_incident(conv: Conversation) -> None:
    conv.say("spy incident start me checkout is down", user="daniella")
    tldr = conv.say("incident tldr", user="daniella", dm=True)
    assert any("checkout is down" in line for line in tldr), tldr
    assert tldr[0].startswith("[dm @daniella]")
    conv.say("spy incident start me search is slow", user="felix", channel="search")
    two = conv.say("incident tldr", user="daniella", dm=True)  # which one? it asks
    assert "No incident is bound in a DM." in two[0], two


def test_spys_colon_placeholders_are_names(conv: Conversation) -> None:
    """Spy's docs write `spy incident tell :team message` and `spy status :provider :status for
    :feature`; typed literally, they mean the team and the provider."""
    conv.say("spy incident start me checkout is down", user="daniella")
    told = conv.say("spy incident tell :support refunds on hold", user="daniella")
    assert any(line.startswith("[#support] bot: 📣 @daniella from INC-1") for line in told), told
    assert "[#war-room] bot: 📣 Told support in #support." in told
    recorded = conv.say("spy status :stripe :degraded for :payments", user="daniella")
    assert [
        "[#war-room] bot: 📝 Recorded: stripe is degraded for payments (on the timeline of INC-1)."
    ] == recorded
    emoji = conv.say("spy status stripe :fire: for checkout", user="daniella")
    assert ["[#war-room] bot: 📝 Recorded: stripe is :fire: for checkout (on the timeline of "
            "INC-1)."] == emoji  # fmt: skip


def test_cmd_runs_a_bang_command_in_the_channel(conv: Conversation) -> None:
    """`spy cmd #war-room !ir page ...` from a DM: as typed in #war-room."""
    conv.say("spy incident start me checkout is down", user="daniella")
    via = conv.say("cmd #war-room !incident note from my phone", user="daniella", dm=True)
    assert ["[#war-room] bot: 📝 Noted on INC-1."] == via
    paged = conv.say("cmd #war-room !ir page db3 is on fire", user="daniella", dm=True)
    assert paged, paged
    assert not any("is not a command" in line or "don't know" in line for line in paged), paged


def test_incident_report_right_after_the_stop_shows_that_report(
    conv: Conversation, clock: FixedClock
) -> None:
    conv.say("spy incident start me checkout is down", user="daniella")
    conv.say("spy incident stop", user="daniella")
    clock.advance(minutes=5)
    report = conv.say("spy incident report", user="daniella")
    assert report[0].startswith("[#war-room] bot: Report of INC-1"), report
    elsewhere = conv.say("spy incident report", user="daniella", channel="general")
    assert "No incident is bound to this channel." in elsewhere[0], elsewhere
    clock.advance(hours=25)
    later = conv.say("spy incident report", user="daniella")
    assert "No incident is bound to this channel." in later[0], later


def test_react_with_the_emoji_itself_acknowledges_in_the_shell(tmp_path: Path) -> None:
    script = [
        "/channel dev-oncall",
        "devoncall https://gitlab.example/incidents/7",
        "/user alice",
        "/react 👀",
    ]
    result = run_warroom(
        "shell",
        "--db",
        f"sqlite:///{tmp_path / 'w.db'}",
        "--user",
        "zed",
        tmp_path=tmp_path,
        stdin="\n".join(script) + "\n",
    )
    assert 0 == result.returncode, result.stderr
    assert any("👀 @alice acknowledged" in line for line in result.stdout.splitlines()), (
        result.stdout
    )


def test_spy_page_alone_alerts_the_imoc(conv: Conversation) -> None:
    """Seed 002: 'spy page' to alert the IMOC: the incident commanders are paged."""
    conv.say("spy incident start me checkout is down", user="daniella")
    alone = conv.say("spy page", user="daniella")
    imoc = conv.say('spy page imoc "again"', user="daniella")
    assert alone, alone
    assert not any("Usage" in line or "whom" in line for line in alone), alone
    assert [line.split(":")[0] for line in alone if "Paging" in line] == [
        line.split(":")[0] for line in imoc if "Paging" in line
    ]
