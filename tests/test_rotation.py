"""The fair rotation as people use it: devoncall, 👀, escalation, managers, DMs, stats."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from helpers import MakeApp, MakeConversation
from warroom import logs
from warroom.app.roster import parse_csv
from warroom.app.service import App
from warroom.config import Settings
from warroom.testing import Conversation, FixedClock

ROSTER = """handle,name,email,tz,country,manager
alice,Alice A,alice@example.com,UTC,NL,no
bob,Bob B,bob@example.com,UTC,US,no
carol,Carol C,carol@example.com,UTC,DE,no
erin,Erin E,erin@example.com,UTC,US,yes
"""


@pytest.fixture
def rot_settings(settings: Settings) -> Settings:
    settings.rotation.escalate_after = 2
    settings.rotation.max_engineers = 2
    settings.rotation.managers = ["mallory"]
    return settings


@pytest.fixture
def rconv(app: App, rot_settings: Settings, make_conversation: MakeConversation) -> Conversation:
    app.import_roster(parse_csv(ROSTER), replace=False)
    return make_conversation(app)


def test_devoncall_pings_the_first_in_the_queue_in_a_thread_and_eyes_acknowledge(
    rconv: Conversation, clock: FixedClock
) -> None:
    """The least pinged (all zero: by name) is pinged in the trigger's thread; 👀 on the ping
    acknowledges, cancels the escalation, and nothing more happens when the timer is due."""
    lines = rconv.say("devoncall https://gitlab.example/incidents/1", user="zed")
    assert [
        "[#war-room] bot (thread): 📟 @alice you're on call for: https://gitlab.example/incidents/1",
        "[#war-room] bot (thread): React with :eyes: to acknowledge.",
    ] == lines
    assert "u1" == rconv.chat.sent[-1].thread
    clock.advance(seconds=1)
    acked = rconv.react("eyes", user="alice", channel="war-room", message_ref=rconv.last_ref())
    assert ["[#war-room] bot (thread): 👀 @alice acknowledged after 1s. Thanks!"] == acked
    clock.advance(seconds=10)
    assert [] == rconv.run_timers()


def test_no_ack_escalates_to_the_second_then_the_managers(
    rconv: Conversation, clock: FixedClock
) -> None:
    """After `escalate_after` the next engineer; after `max_engineers` the managers, from the
    config and the roster's manager column, last."""
    rconv.say("devoncall db is on fire", user="zed")
    clock.advance(seconds=2)
    second = rconv.run_timers()
    assert [
        "[#war-room] bot (thread): 📟 @bob you're on call for: db is on fire",
        "[#war-room] bot (thread): (no ACK from @alice; escalation step 2)",
        "[#war-room] bot (thread): React with :eyes: to acknowledge.",
    ] == second
    clock.advance(seconds=2)
    last = rconv.run_timers()
    assert [
        "[#war-room] bot (thread): 🆘 @mallory @erin: no ACK from 2 engineers. "
        "Please find someone for: db is on fire",
        "[#war-room] bot (thread): React with :eyes: here once someone has it.",
    ] == last
    clock.advance(seconds=60)
    assert [] == rconv.run_timers()


def test_ack_on_the_trigger_by_anyone_in_the_roster_moves_them_to_the_bottom(
    rconv: Conversation, clock: FixedClock
) -> None:
    """Carol was not pinged but reacts on the trigger message: she acknowledges and goes to
    the bottom; a stranger's 👀 and other emoji count for nothing."""
    rconv.say("devoncall checkout 500s", user="zed")
    assert [] == rconv.react("eyes", user="stranger", channel="war-room", message_ref="u1")
    assert [] == rconv.react("tada", user="carol", channel="war-room", message_ref="u1")
    acked = rconv.react("eyes", user="carol", channel="war-room", message_ref="u1")
    assert ["[#war-room] bot (thread): 👀 @carol acknowledged after 0s. Thanks!"] == acked
    top = rconv.say("top", user="bob", dm=True)
    assert [
        "[dm @bob] bot: *Next 3 in the queue:*",
        "[dm @bob] bot: 1. bob (0 turns, UTC)",
        "[dm @bob] bot: 2. alice (1 turn, UTC)",
        "[dm @bob] bot: 3. carol (1 turn, UTC)",
    ] == top
    assert [
        "[dm @carol] bot: You are number 3 of 3 in the queue "
        "(a higher number means you are less likely to be pinged next)."
    ] == rconv.say("position", user="carol", dm=True)


def test_two_reactions_count_once(rconv: Conversation) -> None:
    """The first 👀 acknowledges; a second, on the ping or the trigger, changes nothing."""
    rconv.say("devoncall api down", user="zed")
    ping = rconv.last_ref()
    assert 1 == len(rconv.react("eyes", user="alice", channel="war-room", message_ref=ping))
    assert [] == rconv.react("eyes", user="bob", channel="war-room", message_ref="u1")
    assert [] == rconv.react("eyes", user="alice", channel="war-room", message_ref=ping)
    assert "1" in " ".join(rconv.say("stats", user="alice", dm=True))


def test_late_eyes_on_an_old_ping_acknowledges_without_rerouting(
    rconv: Conversation, clock: FixedClock
) -> None:
    """Escalation moved on to bob; alice's 👀 on her own (older) ping acknowledges the page,
    bob's pending escalation is cancelled and no one else is pinged."""
    rconv.say("devoncall queue backlog", user="zed")
    alice_ping = rconv.last_ref()
    clock.advance(seconds=2)
    rconv.run_timers()
    clock.advance(seconds=1)
    late = rconv.react("eyes", user="alice", channel="war-room", message_ref=alice_ping)
    assert [
        "[#war-room] bot (thread): 👀 @alice acknowledged after 3s "
        "(on an earlier ping; no one else will be pinged). Thanks!"
    ] == late
    clock.advance(seconds=60)
    assert [] == rconv.run_timers()


def test_nobody_online_goes_straight_to_the_managers(
    rconv: Conversation, clock: FixedClock
) -> None:
    for who in ("alice", "bob", "carol"):
        rconv.set_presence(who, "away")
    lines = rconv.say("devoncall everything is down", user="zed")
    assert [
        "[#war-room] bot (thread): 🆘 @mallory @erin: nobody is online. "
        "Please find someone for: everything is down",
        "[#war-room] bot (thread): React with :eyes: here once someone has it.",
    ] == lines
    clock.advance(seconds=60)
    assert [] == rconv.run_timers()
    # The managers' post acknowledges too.
    acked = rconv.react("eyes", user="erin", channel="war-room", message_ref=rconv.last_ref())
    assert ["[#war-room] bot (thread): 👀 @erin acknowledged after 1m 00s. Thanks!"] == acked


def test_away_people_are_skipped(rconv: Conversation) -> None:
    rconv.set_presence("alice", "away")
    lines = rconv.say("devoncall slow pages", user="zed")
    assert "[#war-room] bot (thread): 📟 @bob you're on call for: slow pages" == lines[0]


def test_holiday_and_exclusion_skip_people(
    rconv: Conversation, rot_settings: Settings, tmp_path: Path
) -> None:
    """alice's country (NL) has a holiday today; bob is excluded: carol is pinged. The files
    are read again when they change: with the exclusion gone, bob is next."""
    holidays = tmp_path / "holidays.yml"
    holidays.write_text(
        "countries:\n  NL: [2017-02-23]\npeople:\n  dave: [2017-02-20..2017-02-28]\n"
    )
    exclusions = tmp_path / "exclusions.yml"
    exclusions.write_text("- bob\n")
    rot_settings.rotation.holidays = holidays
    rot_settings.rotation.exclusions = exclusions
    first = rconv.say("devoncall one", user="zed")
    assert "[#war-room] bot (thread): 📟 @carol you're on call for: one" == first[0]
    roster = "\n".join(rconv.say("!roster", user="zed"))
    assert "alice (Alice A; UTC NL; 0 pings, on holiday)" in roster
    assert "bob (Bob B; UTC US; 0 pings, excluded)" in roster
    assert "erin (Erin E; UTC US; manager)" in roster
    exclusions.write_text("[]\n")
    os.utime(exclusions, ns=(1, 2_000_000_000_000_000_000))
    second = rconv.say("devoncall two", user="zed")
    assert "[#war-room] bot (thread): 📟 @bob you're on call for: two" == second[0]


def test_people_who_said_pager_stfu_are_skipped(rconv: Conversation) -> None:
    """`pager stfu` silences rotation pings too; `pager unstfu` puts the person back."""
    rconv.say("pager stfu 1h", user="alice", dm=True)
    lines = rconv.say("devoncall snoozy", user="zed")
    assert "[#war-room] bot (thread): 📟 @bob you're on call for: snoozy" == lines[0]
    rconv.say("pager unstfu", user="alice", dm=True)
    lines = rconv.say("devoncall awake", user="zed")
    assert "[#war-room] bot (thread): 📟 @alice you're on call for: awake" == lines[0]


def test_outside_working_hours_is_skipped(rconv: Conversation, rot_settings: Settings) -> None:
    """At 22:42 UTC nobody in UTC is within 08:00-20:00: the managers are the last resort."""
    rot_settings.rotation.working_hours = "08:00-20:00"
    lines = rconv.say("devoncall night", user="zed")
    assert lines[0].startswith(
        "[#war-room] bot (thread): 🆘 @mallory @erin: nobody in the rotation can be pinged now: "
        "3 outside working hours."
    )


def test_devoncall_only_in_rotation_channels_and_not_without_a_roster(
    app: App, rot_settings: Settings, make_conversation: MakeConversation
) -> None:
    conv = make_conversation(app)
    assert [
        "[#war-room] bot (to @zed): The rotation has no engineers yet: "
        "`warroom roster import oncall.csv`."
    ] == conv.say("!devoncall x", user="zed")
    rot_settings.rotation.channels = ["dev-oncall"]
    assert [
        "[#war-room] bot (to @zed): `devoncall` works in the rotation channel: #dev-oncall."
    ] == conv.say("devoncall x", user="zed")


def test_restart_mid_escalation_resumes_at_the_right_step(
    rot_settings: Settings,
    clock: FixedClock,
    make_app: MakeApp,
    make_conversation: MakeConversation,
) -> None:
    """The escalation is a timer row: a new process (new App, new runtime) fires it when due,
    pinging the second engineer, then the managers; nothing is pinged twice."""
    first = make_app(rot_settings)
    first.import_roster(parse_csv(ROSTER), replace=False)
    conv = make_conversation(first)
    conv.say("devoncall restart me", user="zed")
    conv.close()
    first.sessions.kw["bind"].dispose()

    clock.advance(seconds=1)
    second = make_app(rot_settings)
    conv = make_conversation(second)
    assert [] == conv.run_timers()  # not due yet
    clock.advance(seconds=1)
    lines = conv.run_timers()
    assert "[#war-room] bot (thread): 📟 @bob you're on call for: restart me" == lines[0]
    clock.advance(seconds=2)
    assert "🆘 @mallory @erin: no ACK from 2 engineers" in conv.run_timers()[0]
    clock.advance(seconds=2)
    assert [] == conv.run_timers()


def test_a_pick_makes_at_most_five_presence_calls_and_uses_the_cache(
    app: App, rot_settings: Settings, clock: FixedClock, make_conversation: MakeConversation
) -> None:
    """Twelve engineers, the first ten away: a pick checks the head (at most 5 calls), finds
    nobody and goes to the managers; the next pick, with the cache warm, calls the next five
    and finds the eleventh."""
    rows = "handle,tz\n" + "".join(f"e{i:02d},UTC\n" for i in range(12))
    app.import_roster(parse_csv(rows), replace=False)
    conv = make_conversation(app)
    for i in range(10):
        conv.presence.set(f"e{i:02d}", "away")
    first = conv.say("devoncall one", user="zed")
    assert 5 == conv.presence.calls
    assert "🆘" in first[0]
    second = conv.say("devoncall two", user="zed")
    assert 10 == conv.presence.calls
    assert "🆘" in second[0]
    third = conv.say("devoncall three", user="zed")
    assert 11 == conv.presence.calls
    assert "[#war-room] bot (thread): 📟 @e10 you're on call for: three" == third[0]
    fourth = conv.say("devoncall four", user="zed")
    assert 12 == conv.presence.calls  # e10 is cached; e11 asked once
    assert "📟 @e11 you're on call" in fourth[0]


def test_every_step_is_one_json_log_line(
    rconv: Conversation, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="warroom.rotation")
    rconv.say("devoncall logs", user="zed")
    clock.advance(seconds=2)
    rconv.run_timers()
    rconv.react("eyes", user="bob", channel="war-room", message_ref=rconv.last_ref())
    render = logs.formatter("json").format
    records = [json.loads(render(r)) for r in caplog.records if r.name == "warroom.rotation"]
    assert ["triggered", "ping", "escalated", "ping", "ack"] == [r["event"] for r in records]
    assert ["alice", "bob", "bob"] == [r["user"] for r in records if r["event"] in ("ping", "ack")]
    assert 2.0 == records[-1]["waited_s"]


def test_stats_dm(rconv: Conversation, clock: FixedClock) -> None:
    rconv.say("devoncall a", user="zed")
    clock.advance(seconds=30)
    rconv.react("eyes", user="alice", channel="war-room", message_ref=rconv.last_ref())
    rconv.say("devoncall b", user="zed")
    clock.advance(seconds=2)
    rconv.run_timers()
    clock.advance(seconds=8)
    rconv.react("eyes", user="carol", channel="war-room", message_ref=rconv.last_ref())
    assert [
        "[dm @zed] bot: *Rotation stats*",
        "[dm @zed] bot: Pages: 2, acknowledged: 2, escalations: 1",
        "[dm @zed] bot: Time to ACK: average 20s, p90 30s",
        "[dm @zed] bot: Per week: `2017-W08: 2`",
        "[dm @zed] bot: Per month: `2017-02: 2`",
        "[dm @zed] bot: By responder time zone: `UTC: 2`",
        "[dm @zed] bot: Pings per person: `alice: 1, bob: 1, carol: 1`",
    ] == rconv.say("stats", user="zed", dm=True)


def test_the_database_queue_order_is_the_core_queue_order(app: App, clock: FixedClock) -> None:
    """A pick reads the queue's head in SQL; it must be exactly `core.rotation.queue`, ties,
    never-pinged people and case included, on SQLite and PostgreSQL."""
    from warroom.core import rotation as core
    from warroom.store import rotation as store

    handles = ["bo", "Al", "al2", "Zed", "émile", "cy", "dee", "b", "boss"]
    csv = "handle,manager\n" + "".join(f"{h},{'yes' if h == 'boss' else ''}\n" for h in handles)
    app.import_roster(parse_csv(csv), replace=False)
    with app.sessions.begin() as session:
        people = {m.handle: m for m in store.members(session=session)}
        for handle, turns in [("bo", 1), ("cy", 1), ("dee", 2), ("b", 1)]:
            when = clock.now() if handle != "b" else clock.now().replace(year=2016)
            before = people[handle]
            after = core.Member(**{**before.__dict__, "turns": turns, "last_turn_at": when})
            store.record_turn(before, after, ack=False, session=session)
    with app.sessions() as session:
        expected = [m.handle for m in core.queue(store.members(session=session))]
        head = [m.handle for m in store.queue_head(offset=0, limit=3, session=session)]
        rest = [m.handle for m in store.queue_head(offset=3, limit=50, session=session)]
    assert ["Al", "Zed", "al2", "émile", "b", "bo", "cy", "dee"] == expected
    assert expected == head + rest


def test_two_reactions_at_the_same_moment_count_once(rconv: Conversation, app: App) -> None:
    """Two 👀 handled concurrently in two threads (two replicas, say): one ACK."""
    import threading

    from warroom.ports import Reaction

    rconv.say("devoncall race", user="zed")
    ping = rconv.last_ref()
    barrier = threading.Barrier(8)
    answers: list[int] = []

    def react(user: str, ref: str) -> None:
        barrier.wait()
        answers.append(len(app.handle_reaction(Reaction("shell", user, "war-room", "eyes", ref))))

    threads = [
        threading.Thread(target=react, args=(user, ref))
        for user in ("alice", "bob", "carol", "erin")
        for ref in (ping, "u1")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [0] * 7 + [1] == sorted(answers)


def test_pages_go_round_the_rotation_fairly(rconv: Conversation, clock: FixedClock) -> None:
    """Nine pages, each acknowledged by the one pinged: alice, bob and carol three times each,
    in turn; the manager never."""
    pinged = []
    for n in range(9):
        clock.advance(seconds=5)
        line = rconv.say(f"devoncall page {n}", user="zed")[0]
        pinged.append(line.split("@")[1].split(" ")[0])
        who = pinged[-1]
        rconv.react("eyes", user=who, channel="war-room", message_ref=rconv.last_ref())
    assert ["alice", "bob", "carol"] * 3 == pinged
    stats = rconv.say("stats", user="zed", dm=True)
    assert "[dm @zed] bot: Pings per person: `alice: 3, bob: 3, carol: 3`" == stats[-1]


def test_an_escalation_that_finds_nobody_online_goes_to_the_managers(
    rconv: Conversation, clock: FixedClock
) -> None:
    rconv.say("devoncall lonely", user="zed")
    rconv.set_presence("bob", "away")
    rconv.set_presence("carol", "away")
    clock.advance(seconds=2)
    assert [
        "[#war-room] bot (thread): 🆘 @mallory @erin: nobody else in the rotation is online. "
        "Please find someone for: lonely",
        "[#war-room] bot (thread): React with :eyes: here once someone has it.",
    ] == rconv.run_timers()
    assert (
        "[dm @zed] bot: Pages: 1, acknowledged: 0, escalations: 1"
        == (rconv.say("stats", user="zed", dm=True)[1])
    )
