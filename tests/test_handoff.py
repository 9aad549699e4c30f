"""Pre-on-call reminders and handoff summaries from the builtin roster's rotations."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from helpers import MakeConversation
from warroom.app.service import App
from warroom.config import (
    CommandersSettings,
    OncallSettings,
    PersonSettings,
    Settings,
    ShiftScheduleSettings,
)
from warroom.testing import Conversation, FixedClock

START = datetime(2017, 2, 23, 9, 0, tzinfo=UTC)  # the clock starts at 22:42:36 that day


@pytest.fixture
def roster(settings: Settings) -> Settings:
    settings.reminders = []
    settings.oncall = OncallSettings(
        people={
            "alice": PersonSettings(name="Alice Archer", phone="+1 555 0100"),
            "bob": PersonSettings(name="Bob Baker", phone="+1 555 0101"),
            "erin": PersonSettings(name="Erin Evans"),
        },
        rotations={
            "imoc": ShiftScheduleSettings(shift="daily", start=START, people=["alice", "bob"]),
            "support": ShiftScheduleSettings(shift="weekly", start=START, people=["erin"]),
        },
        commanders=CommandersSettings(primary="imoc"),
        pre_shift_notice=3600,
    )
    return settings


@pytest.fixture
def hconv(app: App, roster: Settings, make_conversation: MakeConversation) -> Conversation:
    conversation = make_conversation(app)
    app.ensure_oncall_timers("shell")
    return conversation


def test_the_incoming_commander_is_reminded_then_handed_the_open_incidents(
    hconv: Conversation, app: App, clock: FixedClock
) -> None:
    hconv.say("warroom incident start me checkout is down", user="alice")
    assert [] == hconv.run_timers()
    clock.set(datetime(2017, 2, 24, 8, 0, tzinfo=UTC))
    assert [
        "[#war-room] bot: 🔴 Is this incident high-impact? If so, did you consider paging "
        "ohshit and social?",  # no severity was set
        "[dm @bob] bot: ⏰ You are on call for imoc from 2017-02-24 09:00:00 UTC (in 1h 00m). "
        "`!ir` shows who is on call now; `pager stfu` does not silence pages.",
    ] == hconv.run_timers()  # erin's weekly shift continues: no reminder for her
    clock.set(datetime(2017, 2, 24, 9, 0, tzinfo=UTC))
    assert [
        "[dm @bob] bot: 🤝 Handoff: you are now the primary commander (imoc).",
        "[dm @bob] bot: Open incidents (1):",
        "[dm @bob] bot: INC-1 checkout is down in #war-room, IMOC @alice, for 10h 17m",
        "[dm @bob] bot: No open pages.",
        "[dm @bob] bot: `incident tldr <ID>` has the details.",
    ] == hconv.run_timers()
    app.ensure_oncall_timers("shell")  # a restart schedules nothing twice
    clock.set(datetime(2017, 2, 25, 8, 0, tzinfo=UTC))
    assert [
        "[dm @alice] bot: ⏰ You are on call for imoc from 2017-02-25 09:00:00 UTC (in 1h 00m). "
        "`!ir` shows who is on call now; `pager stfu` does not silence pages."
    ] == hconv.run_timers()


def test_an_override_is_a_change_of_who_is_on_call(
    app: App, roster: Settings, clock: FixedClock, make_conversation: MakeConversation
) -> None:
    from warroom.config import OverrideSettings

    roster.oncall.schedules["support"].overrides = [
        OverrideSettings(
            person="alice",
            start=datetime(2017, 2, 24, 0, 0, tzinfo=UTC),
            end=datetime(2017, 2, 24, 12, 0, tzinfo=UTC),
        )
    ]
    conv = make_conversation(app)
    app.ensure_oncall_timers("shell")
    clock.set(datetime(2017, 2, 23, 23, 0, tzinfo=UTC))
    assert [
        "[dm @alice] bot: ⏰ You are on call for support from 2017-02-24 00:00:00 UTC "
        "(in 1h 00m). `!ir` shows who is on call now; `pager stfu` does not silence pages."
    ] == conv.run_timers()
    clock.set(datetime(2017, 2, 24, 11, 0, tzinfo=UTC))
    assert any(line.startswith("[dm @erin] bot: ⏰ You are on call for support from 2017-02-24 12:00:00 UTC")
               for line in conv.run_timers())  # fmt: skip
