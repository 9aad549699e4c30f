"""Reminders: Spy's schedule as durable timers, fired at the app's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from helpers import MakeConversation
from warroom.app.service import App
from warroom.config import ConfigError, ReminderSettings, Settings, load
from warroom.core import reminder
from warroom.testing import Conversation, FixedClock

T0 = datetime(2017, 2, 23, 22, 42, 36, tzinfo=UTC)


def test_schedule_offsets_stop_and_repeats() -> None:
    rules = [
        reminder.Rule(0, "check_status_page", offsets=(30,), at_stop=True),
        reminder.Rule(1, "srm_checking_in", every=600),
    ]
    assert [
        reminder.Due(0, T0 + timedelta(seconds=30), "r0@30"),
        reminder.Due(1, T0 + timedelta(seconds=600), "r1*1"),
    ] == reminder.on_start(rules, T0)
    assert [reminder.Due(0, T0, "r0@stop")] == reminder.on_stop(rules, T0)
    assert reminder.Due(1, T0 + timedelta(seconds=1800), "r1*3") == reminder.next_repeat(
        rules[1], T0, 2
    )


@pytest.fixture
def reminding(settings: Settings) -> Settings:
    settings.reminders = [
        ReminderSettings(when=[30, "stop"], command="check_status_page"),
        ReminderSettings(when=["2m"], command="notify_support", message="SRM notified for you."),
        ReminderSettings(when=["5m"], message="Coordinate external comms."),
        ReminderSettings(every="10m", command="srm_checking_in"),
        ReminderSettings(when=["stop"], message="Please create a Service Disruptions report."),
    ]
    return settings


@pytest.fixture
def rconv(app: App, reminding: Settings, make_conversation: MakeConversation) -> Conversation:
    return make_conversation(app)


def test_reminders_fire_on_time_in_the_incident_channel(
    rconv: Conversation, clock: FixedClock
) -> None:
    rconv.say("warroom incident start me checkout is down", user="daniella")
    assert [] == rconv.run_timers()  # nothing is due yet
    clock.advance(seconds=30)
    assert [
        "[#war-room] bot: 📊 @daniella, is the status page up to date for this incident?",
        "[#war-room] bot: Status: UNKNOWN — no status sources are configured (`status.sources`)",
    ] == rconv.run_timers()
    assert [] == rconv.run_timers()  # fired once
    clock.advance(seconds=90)
    assert [
        "[#war-room] bot: 🆘 @daniella, SRM notified for you.",
        "[#support] bot: 🆘 INC-1 (checkout is down) is active in #war-room; the IMOC is "
        "@daniella. A Support Response Manager (SRM) is needed: `incident srm me` there.",
    ] == rconv.run_timers()
    rconv.say("warroom incident srm @charlie", user="daniella")
    clock.advance(minutes=8)  # 10 min: the first srm check-in (the 5 min one fires too)
    assert [
        "[#war-room] bot: 🔔 @daniella, coordinate external comms.",
        "[#war-room] bot: 👋 @charlie, checking in: are support and external comms up to date?",
    ] == rconv.run_timers()
    clock.advance(minutes=10)  # 20 min: no severity yet, so Spy's question (built in)
    assert [
        "[#war-room] bot: 🔴 Is this incident high-impact? If so, did you consider paging "
        "ohshit and social?",
        "[#war-room] bot: 👋 @charlie, checking in: are support and external comms up to date?",
    ] == rconv.run_timers()


def test_stop_cancels_pending_reminders_and_fires_the_stop_ones(
    rconv: Conversation, clock: FixedClock
) -> None:
    rconv.say("warroom incident start me checkout is down", user="daniella")
    clock.advance(seconds=10)
    rconv.say("warroom incident stop", user="daniella")
    fired = rconv.run_timers()
    assert (
        "[#war-room] bot: 📊 @daniella, is the status page up to date for this incident?" in fired
    )
    assert "[#war-room] bot: 🔔 @daniella, please create a Service Disruptions report." in fired
    clock.advance(hours=2)
    assert [] == rconv.run_timers()  # the 30 s, 2 min, 5 min and every-10-min ones were cancelled
    tldr = rconv.say("warroom incident tldr 1", user="daniella")
    assert any(": @warroom: Reminder: check_status_page" in line for line in tldr)


def test_overdue_reminders_fire_at_once_after_a_restart(
    app: App, reminding: Settings, clock: FixedClock, make_conversation: MakeConversation
) -> None:
    first = make_conversation(app)
    first.say("warroom incident start me checkout is down", user="daniella")
    first.close()  # the process is gone; the timers are rows
    clock.advance(minutes=6)
    second = make_conversation(app)
    fired = second.run_timers()
    assert 1 == sum("is the status page up to date" in line for line in fired)
    assert "[#war-room] bot: 🔔 @daniella, coordinate external comms." in fired


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        (
            "- when: 30\n  command: frobnicate",
            "reminders.0.command: Value error, unknown reminder command 'frobnicate'",
        ),
        ("- when: soon\n  message: x", "reminders.0.when.0"),
        ("- command: check_status_page", "reminders.0: Value error, a reminder needs `when`"),
        ("- when: 30", "the `message` command needs a `message`"),
        (
            "- when: 30\n  command: notify_support\n  team: nobody",
            "reminders.0.team: unknown team 'nobody'",
        ),
    ],
)
def test_invalid_reminders_stop_start_up_with_key_and_reason(
    tmp_path: Path, entry: str, says: str
) -> None:
    file = tmp_path / "c.yml"
    file.write_text(
        "teams:\n  support: {channel: support}\nreminders:\n"
        + entry.replace("- ", "  - ").replace("\n  ", "\n    ")
    )
    with pytest.raises(ConfigError) as caught:
        load(file)
    assert says in str(caught.value)


def test_spy_spelling_is_accepted() -> None:
    entry = ReminderSettings(when=[120], command=":notify_support_atc", message="m")
    assert "notify_support" == entry.command


def test_a_person_who_said_pager_stfu_is_named_but_not_pinged(
    rconv: Conversation, clock: FixedClock
) -> None:
    rconv.say("warroom incident start me checkout is down", user="daniella")
    rconv.say("warroom pager stfu 1h", user="daniella")
    clock.advance(seconds=30)
    assert (
        "[#war-room] bot: 📊 daniella (snoozed), is the status page up to date for this incident?"
        == rconv.run_timers()[0]
    )
    rconv.say("warroom pager unstfu", user="daniella")
    clock.advance(minutes=2)
    assert "[#war-room] bot: 🆘 @daniella, SRM notified for you." in rconv.run_timers()
