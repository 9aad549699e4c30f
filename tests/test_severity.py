"""Severities: set at start or later, shown in the topic, tldr, report and `incidents`; each
severity's rules apply once, on the timeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import MakeConversation
from warroom.config import Settings
from warroom.config.services import SeverityLevel, SeveritySettings
from warroom.core import severity as core
from warroom.core.incident import IncidentError
from warroom.core.incident import start as start_incident
from warroom.testing import Conversation, FixedClock

QUESTION = "🔴 Is this incident high-impact? If so, did you consider paging ohshit and social?"


@pytest.fixture
def sconv(settings: Settings, make_conversation: MakeConversation) -> Conversation:
    settings.reminders = []
    settings.severities = SeveritySettings(
        levels=[
            SeverityLevel(
                name="sev1", meaning="Critical", notify=["support"], lock=["api"], ask=True
            ),
            SeverityLevel(name="sev2", meaning="Major", ask=True),
            SeverityLevel(name="sev3", meaning="Minor"),
        ]
    )
    return make_conversation(settings=settings)


def test_change_refuses_the_same_severity_and_a_stopped_incident(clock: FixedClock) -> None:
    incident, _ = start_incident(
        platform="shell", channel="c", summary="x", imoc="a", reporter="a", now=clock.now()
    )
    sev2 = core.Severity("sev2", "Major", 2)
    raised, event = core.change(incident, severity=sev2, actor="a", now=clock.now())
    assert "sev2" == raised.severity
    assert "Severity unset → sev2: Major" == event.text
    with pytest.raises(IncidentError, match="sev2 already"):
        core.change(raised, severity=sev2, actor="a", now=clock.now())
    assert incident.severity is None  # the caller keeps the incident it had


def test_rules_apply_once_across_changes() -> None:
    sev1 = core.Severity("sev1", "Critical", 1, page_commanders=True, notify=("support",))
    assert ["page:commanders", "notify:support"] == core.to_apply(sev1, set(), ask_unset=False)
    assert [] == core.to_apply(sev1, {"page:commanders", "notify:support"}, ask_unset=False)
    assert ["ask:high-impact"] == core.to_apply(None, set(), ask_unset=True)
    assert [] == core.to_apply(None, set(), ask_unset=False)


def test_start_with_a_severity_shows_it_and_applies_its_rules(sconv: Conversation) -> None:
    lines = sconv.say("spy incident start sev1 me checkout is down", user="daniella")
    assert "[#war-room] topic: 🔥 [sev1] @daniella is IMOC for incident: checkout is down" in lines
    assert (
        "[#support] bot: 📣 INC-1 is sev1: checkout is down — in #war-room, IMOC @daniella" in lines
    )
    assert f"[#war-room] bot: {QUESTION}" in lines
    assert "[#war-room] bot: 🔒 api locked by @daniella: INC-1: checkout is down" in lines
    tldr = sconv.say("spy incident tldr", user="daniella")
    assert "[#war-room] bot: Severity: sev1" in tldr
    assert any("Severity unset → sev1: Critical" in x for x in tldr)
    assert any("[sev1] checkout is down" in x for x in sconv.say("spy incidents", user="x"))


def test_a_change_is_on_the_timeline_and_rules_apply_once(sconv: Conversation) -> None:
    sconv.say("spy incident start me checkout is down", user="daniella")
    lines = sconv.say("spy incident severity sev2", user="daniella")
    assert [
        "[#war-room] bot: 🚦 INC-1 is now sev2 (was unset): Major",
        "[#war-room] topic: 🔥 [sev2] @daniella is IMOC for incident: checkout is down",
        f"[#war-room] bot: {QUESTION}",
    ] == lines
    sconv.say("spy incident severity sev3", user="daniella")
    again = sconv.say("spy incident severity sev2", user="daniella")
    assert f"[#war-room] bot: {QUESTION}" not in again  # asked once
    assert ["[#war-room] bot (to @daniella): INC-1 is sev2 already."] == sconv.say(
        "spy incident severity sev2", user="daniella"
    )


def test_unknown_severity_is_refused_with_the_list(sconv: Conversation) -> None:
    assert [
        "[#war-room] bot (to @daniella): `sev9` is not a severity. Severities: sev1, sev2, sev3."
    ] == sconv.say("spy incident start sev9 me checkout is down", user="daniella")
    assert ["[#war-room] bot (to @x): No incidents right now."] != sconv.say(
        "spy incidents", user="x"
    )
    assert "No incidents right now." in sconv.say("spy incidents", user="x")[0]


def test_the_unset_reminder_asks_spys_question(
    settings: Settings, make_conversation: MakeConversation, clock: FixedClock
) -> None:
    settings.reminders = []
    settings.severities.ask_unset = True
    settings.severities.ask_after = 600
    conv = make_conversation(settings=settings)
    conv.say("spy incident start me checkout is down", user="daniella")
    assert [] == conv.run_timers()
    clock.advance(seconds=600)
    assert [f"[#war-room] bot: {QUESTION}"] == conv.run_timers()


def test_the_report_says_the_severity(sconv: Conversation, tmp_path: Path) -> None:
    sconv.say("spy incident start sev3 me checkout is down", user="daniella")
    sconv.say("spy incident stop", user="daniella")
    report = "\n".join(sconv.say("spy incident report 1", user="daniella"))
    assert "**Severity:** sev3" in report


def test_sev1_pages_the_commanders_once(
    settings: Settings, make_conversation: MakeConversation
) -> None:
    """The default sev1 pages the incident commanders (here the fixture's roster has nobody on
    call for them, so the page says why it could not go); raising to sev1 again pages nobody."""
    settings.reminders = []
    conv = make_conversation(settings=settings)
    lines = conv.say("spy incident start sev1 me checkout is down", user="daniella")
    paged = [x for x in lines if "📟" in x or "Could not page" in x]
    assert 1 == len(paged)
    conv.say("spy incident severity sev3", user="daniella")
    again = conv.say("spy incident severity sev1", user="daniella")
    assert [] == [x for x in again if "📟" in x or "Could not page" in x]
    tldr = "\n".join(conv.say("spy incident tldr", user="daniella"))
    assert 1 == tldr.count("Paged the commanders")


def test_a_severity_chooses_which_reminders_apply(
    settings: Settings, make_conversation: MakeConversation, clock: FixedClock
) -> None:
    """A sev4 that lists only `srm_checking_in` gets that reminder at 10 min and none of the
    others (status page at 30 s, SRM document at 2 min); a sev1 with no list gets them all."""
    settings.severities = SeveritySettings(
        levels=[
            SeverityLevel(name="sev1", meaning="Critical"),
            SeverityLevel(name="sev4", meaning="Low", reminders=["srm_checking_in"]),
        ]
    )
    settings.status.on_start_stop = False
    conv = make_conversation(settings=settings)
    conv.say("spy incident start sev4 me typo on the about page", user="daniella")
    clock.advance(minutes=5)
    assert [] == conv.run_timers()
    clock.advance(minutes=5)
    assert any("checking in" in line for line in conv.run_timers())
    conv.say("spy incident start sev1 me checkout is down", user="daniella", channel="ops")
    clock.advance(minutes=2)
    fired = conv.run_timers()
    assert any("status page" in line for line in fired)
    assert any("incident document" in line for line in fired)


def test_an_unknown_reminder_in_a_severity_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="unknown reminder 'nag'"):
        SeverityLevel(name="sev4", meaning="Low", reminders=["nag"])


def test_a_severity_set_before_the_unset_question_stops_it(
    settings: Settings, make_conversation: MakeConversation, clock: FixedClock
) -> None:
    """`ask_unset` asks an incident still without a severity at 10 min: one set to sev3 (no
    `ask`) at 5 min is not asked; one set to sev2 (which asks) is asked once, when set, and
    not again when the reminder comes due."""
    settings.reminders = []
    settings.severities.ask_unset = True
    settings.severities.ask_after = 600
    conv = make_conversation(settings=settings)
    conv.say("spy incident start me checkout is down", user="daniella")
    conv.say("spy incident start me search is slow", user="ana", channel="war-room-2")
    clock.advance(minutes=5)
    assert f"[#war-room] bot: {QUESTION}" not in conv.say(
        "spy incident severity sev3", user="daniella"
    )
    assert f"[#war-room-2] bot: {QUESTION}" in conv.say(
        "spy incident severity sev2", user="ana", channel="war-room-2"
    )
    clock.advance(minutes=5)
    assert [] == conv.run_timers()
    tldr = "\n".join(conv.say("spy incident tldr", user="daniella"))
    assert "high-impact" not in tldr
