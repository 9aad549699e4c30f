"""A bot that never says what is not so (issue 15): status with nothing to check, reminders
that did nothing, who handed off, why nobody was pinged, notices on chatter, broadcasts as
people, impossible milestones, and small wording."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from warroom.app.notices import about, significant_words
from warroom.app.roster import parse_csv
from warroom.app.service import App
from warroom.config import ReminderSettings, Settings, StatusSourceSettings, TeamSettings
from warroom.core import rotation as core_rotation
from warroom.core.doc import Doc, Mention, Text
from warroom.core.incident import Incident, IncidentError, is_broadcast, start
from warroom.core.status import Component, Health, Overall, Snapshot
from warroom.ports import ChatMessage
from warroom.providers.status import StatusChecker
from warroom.render import incident as incident_words
from warroom.render import reminder as reminder_words
from warroom.render import rotation as rotation_words
from warroom.render import slack as slack_render
from warroom.render.paging import page_dm
from warroom.testing import Conversation, FixedClock

T0 = datetime(2017, 2, 23, 22, 42, 36, tzinfo=UTC)
NO_SOURCES = "Status: UNKNOWN — no status sources are configured (`status.sources`)"
UNREACHABLE = "http://127.0.0.1:1"


# -- 1. status: nothing checked is not NORMAL -------------------------------------------------


def test_status_with_no_sources_is_unknown_not_normal(conv: Conversation) -> None:
    assert [f"[#war-room] bot: {NO_SOURCES}"] == conv.say("!status", user="daniella")
    assert [
        "[#war-room] bot: *** Unresolved Incidents Report ***",
        "[#war-room] bot: No Statuspage source is configured (`kind: statuspage` in "
        "`status.sources`), so I cannot tell which incidents are unresolved.",
    ] == conv.say("!status incidents", user="daniella")


def test_the_30_second_reminder_does_not_claim_normal_without_sources(
    conv: Conversation, clock: FixedClock
) -> None:
    conv.say("spy incident start me checkout is down", user="daniella")
    clock.advance(seconds=30)
    assert [
        "[#war-room] bot: 📊 @daniella, is the status page up to date for this incident?",
        f"[#war-room] bot: {NO_SOURCES}",
    ] == conv.run_timers()


def test_a_reported_third_party_shows_but_the_overall_word_stays_unknown(
    conv: Conversation,
) -> None:
    conv.say("spy status stripe degraded for card payments", user="felix")
    assert [
        f"[#war-room] bot: {NO_SOURCES}",
        "[#war-room] bot: *** Components Report ***",
        "[#war-room] bot: stripe (card payments) : degraded performance (reported by @felix)",
    ] == conv.say("spy status", user="felix")


@pytest.fixture
def checked_conv(app: App, settings: Settings) -> Iterator[Conversation]:
    """Sources that cannot be reached: a health check, and a Statuspage page."""
    settings.status.sources = [StatusSourceSettings(name="API", url=f"{UNREACHABLE}/health")]
    checker = StatusChecker(settings.status.sources)
    conversation = Conversation(app, status=checker)
    yield conversation
    conversation.loop.run_until_complete(checker.aclose())
    conversation.close()


def test_status_incidents_with_only_health_checks_says_it_has_no_source(
    checked_conv: Conversation,
) -> None:
    lines = checked_conv.say("!status incidents", user="daniella")
    assert "No reported unresolved incidents." not in " ".join(lines)
    assert "No Statuspage source is configured" in lines[1]


def test_an_unreadable_statuspage_is_not_no_incidents(
    checked_conv: Conversation, settings: Settings
) -> None:
    settings.status.sources.append(
        StatusSourceSettings(name="Shop status", kind="statuspage", url=UNREACHABLE)
    )
    assert [
        "[#war-room] bot: *** Unresolved Incidents Report ***",
        "[#war-room] bot: ⚠ Could not read Shop status: its incidents are unknown.",
    ] == checked_conv.say("!status incidents", user="daniella")


def test_a_snapshot_of_no_source_is_unknown() -> None:
    assert Overall.UNKNOWN == Snapshot((), configured=False).overall
    operational = (Component("API", Health.OPERATIONAL),)
    assert Overall.UNKNOWN == Snapshot(operational, configured=False).overall
    assert Overall.NORMAL == Snapshot(operational).overall


# -- 2. reminders say what they did -----------------------------------------------------------


@pytest.fixture
def notifying(settings: Settings) -> Settings:
    settings.reminders = [
        ReminderSettings(
            when=["2m"], command="notify_support", message="SRM notified on your behalf."
        ),
        ReminderSettings(when=["1h"], command="notify_imoc_team"),
    ]
    return settings


def test_notify_support_without_a_support_team_says_nobody_was_notified(
    conv: Conversation, notifying: Settings, clock: FixedClock
) -> None:
    del notifying.teams["support"]
    conv.say("spy incident start me checkout is down", user="daniella")
    clock.advance(minutes=2)
    assert [
        "[#war-room] bot: 🆘 @daniella, I could not ask the support team for a Support Response "
        "Manager (SRM): no `support` team is configured (`teams.support.channel`). Ask them "
        "yourself, then `incident srm @user`."
    ] == conv.run_timers()
    tldr = conv.say("spy incident tldr", user="daniella")
    assert any(
        "Reminder: notify_support (no `support` team configured: nobody was told)" in line
        for line in tldr
    )


def test_notify_support_with_the_team_posts_there_and_says_so(
    conv: Conversation, notifying: Settings, clock: FixedClock
) -> None:
    notifying.reminders[0].message = None
    conv.say("spy incident start me checkout is down", user="daniella")
    clock.advance(minutes=2)
    fired = conv.run_timers()
    assert [
        "[#war-room] bot: 🆘 @daniella, I asked the support team in #support for a Support "
        "Response Manager (SRM).",
        "[#support] bot: 🆘 INC-1 (checkout is down) is active in #war-room; the IMOC is "
        "@daniella. A Support Response Manager (SRM) is needed: `incident srm me` there.",
    ] == fired


def test_notify_imoc_team_says_whether_anyone_else_was_told(
    conv: Conversation, notifying: Settings, clock: FixedClock
) -> None:
    conv.say("spy incident start me checkout is down", user="daniella")
    clock.advance(hours=1)
    fired = [line for line in conv.run_timers() if "⏱" in line or "imoc" in line]
    assert [
        "[#war-room] bot: ⏱ INC-1 has been running for 1h 00m. @daniella, do you need relief? "
        "`incident handoff @user` hands over.",
        "[#war-room] bot: No `imoc` team is configured (`teams.imoc.channel`), so nobody else "
        "was told.",
    ] == fired
    notifying.teams["imoc"] = TeamSettings(channel="imoc-team")
    conv.say("spy incident start me search is slow", user="daniella", channel="search")
    clock.advance(hours=1)
    told = [line for line in conv.run_timers() if "search" in line or "imoc-team" in line]
    assert "[#search] bot: I told the imoc team in #imoc-team too." in told
    assert any(line.startswith("[#imoc-team] bot: ⏱ INC-2 (search is slow)") for line in told)


def test_a_reminder_message_reads_lower_case_after_the_comma() -> None:
    assert "please create a report." == reminder_words.after_comma("Please create a report.")
    assert "SRM notified." == reminder_words.after_comma("SRM notified.")
    assert "I paged them." == reminder_words.after_comma("I paged them.")


def test_a_message_reminder_reads_as_one_sentence(
    conv: Conversation, settings: Settings, clock: FixedClock
) -> None:
    settings.reminders = [ReminderSettings(when=[60], message="Please update the status page.")]
    conv.say("spy incident start me checkout is down", user="daniella")
    clock.advance(minutes=1)
    assert ["[#war-room] bot: 🔔 @daniella, please update the status page."] == conv.run_timers()


# -- 3. a handoff says who did it ---------------------------------------------------------------


def test_a_handoff_by_someone_else_says_who_moved_the_role(conv: Conversation) -> None:
    conv.say("spy incident start @alice users cannot login", user="alice")
    assert [
        "[#war-room] bot: 🤝 @bob handed the IMOC role from @alice to @carol. INC-1: users "
        "cannot login",
        "[#war-room] topic: 🔥 @carol is IMOC for incident: users cannot login",
    ] == conv.say("spy incident handoff @carol", user="bob")
    tldr = conv.say("spy incident tldr", user="bob")
    assert any(line.endswith(": @bob: Handed off the IMOC role to @carol") for line in tldr)
    assert (
        "[#war-room] bot: 🤝 @carol handed off the IMOC role to @dave. INC-1: users cannot login"
        == conv.say("spy incident handoff @dave", user="carol")[0]
    )


# -- 4. why nobody was pinged -----------------------------------------------------------------

ROSTER = """handle,name,email,tz,country,manager
alice,Alice A,alice@example.com,UTC,NL,no
bob,Bob B,bob@example.com,America/New_York,US,no
carol,Carol C,carol@example.com,UTC,DE,no
dan,Dan D,dan@example.com,America/New_York,US,no
erin,Erin E,erin@example.com,UTC,US,yes
"""


def test_nobody_pinged_says_why_each_was_not_eligible(
    app: App, settings: Settings, tmp_path: Path
) -> None:
    """Everyone but dan is online, yet alice is on holiday, bob excluded, carol outside her
    hours (22:42 UTC), and dan away: the managers hear the counts, not "nobody is online"."""
    holidays = tmp_path / "holidays.yml"
    holidays.write_text("countries:\n  NL: [2017-02-23]\n")
    exclusions = tmp_path / "exclusions.yml"
    exclusions.write_text("- bob\n")
    settings.rotation.holidays = holidays
    settings.rotation.exclusions = exclusions
    settings.rotation.working_hours = "08:00-20:00"
    app.import_roster(parse_csv(ROSTER), replace=False)
    conv = Conversation(app)
    try:
        for who in ("alice", "bob", "carol"):
            conv.set_presence(who, "active")
        conv.set_presence("dan", "away")
        lines = conv.say("devoncall db on fire", user="zed")
    finally:
        conv.close()
    assert (
        "[#war-room] bot (thread): 🆘 @erin: nobody in the rotation can be pinged now: "
        "1 on holiday, 1 excluded, 1 outside working hours, 1 away. "
        "Please find someone for: db on fire"
    ) == lines[0]


def test_unavailable_counts_each_engineer_once_by_first_reason() -> None:
    members = [
        core_rotation.Member("a", country="NL"),
        core_rotation.Member("b"),
        core_rotation.Member("c"),
        core_rotation.Member("d"),
        core_rotation.Member("m", manager=True),
    ]
    rules = core_rotation.Rules(
        excluded=frozenset({"a"}),
        holidays=core_rotation.Holidays(countries={"NL": frozenset({T0.date()})}),
    )
    counts = core_rotation.unavailable(members, rules, T0, {"c": "away"}, skip=["b"])
    assert {"excluded": 1, "pinged already": 1, "away": 1, "presence unknown": 1} == counts
    assert (
        "nobody else in the rotation can be pinged now: 1 excluded, 1 away, 1 whose presence "
        "I could not check, 1 pinged already"
    ) == rotation_words.nobody(counts, escalation=True)
    assert "nobody is online" == rotation_words.nobody({"away": 3}, escalation=False)
    assert "everyone in the rotation was pinged already" == rotation_words.nobody(
        {"pinged already": 2}, escalation=True
    )


# -- 5. notices: significant words only, never in a war room ---------------------------------


def test_ordinary_chatter_gets_no_notice(conv: Conversation) -> None:
    conv.say("spy incident start me users cannot login here", user="daniella")
    for chatter in (
        "I'm here, what's up?",
        "users are asking about the new pricing",
        "see https://status.example.com/login for the details",
        "<https://example.com/login|the login page> is the one",
        "cc @login-team and <@ULOGIN01>",
        "ask #login-help",
        "mail login@example.com",
    ):
        assert [] == conv.say(chatter, user="marsh", channel="support"), chatter


def test_talking_about_the_incident_still_gets_the_notice(conv: Conversation) -> None:
    conv.say("spy incident start me users cannot login here", user="daniella")
    lines = conv.say("can't login to the admin, anyone?", user="marsh", channel="support")
    assert 1 == len(lines)
    assert "an incident (users cannot login here) is active" in lines[0]


def test_a_war_room_gets_no_notice_about_another_incident(conv: Conversation) -> None:
    conv.say("spy incident start me users cannot login", user="daniella")
    conv.say("spy incident start me login page slow for payments", user="felix", channel="pay")
    assert [] == conv.say("is login broken for everyone?", user="marsh", channel="pay")
    assert [] == conv.say("login page slow for payments too?", user="marsh", channel="war-room")


def test_a_long_summary_needs_two_shared_words() -> None:
    """One common word (`order`) is not enough to be about a long summary; two are, and a
    one-word message needs its one word."""
    incident, _ = start(
        platform="shell", channel="war-room", summary="order notifications not reaching merchants",
        imoc="alice", reporter="alice", now=T0,
    )  # fmt: skip
    incident = Incident(**{**incident.__dict__, "id": 1})
    settings = Settings()

    def said(text: str) -> Incident | None:
        return about(ChatMessage("shell", "marsh", "support", text), [incident], settings)

    assert said("where is my order, the page shows nothing") is None
    assert said("merchants say order notifications are late") is incident
    assert said("notifications?") is incident
    assert {"pricing"} == significant_words("users are asking about the new pricing")
    assert set() == significant_words("I'm here, what's up? https://x.example/login @login")


# -- 6. broadcasts are never people, users' text never a broadcast ----------------------------


@pytest.mark.parametrize("who", ["@here", "@channel", "@everyone", "@room", "@HERE"])
def test_a_broadcast_is_refused_as_imoc_or_srm(conv: Conversation, who: str) -> None:
    conv.say("spy incident start me checkout is down", user="alice")
    name = who.lstrip("@")
    assert [
        f"[#war-room] bot (to @bob): @{name} is a broadcast, not a person: the IMOC must be one "
        "person, such as `@alice` or `me`."
    ] == conv.say(f"spy incident imoc {who}", user="bob")
    assert [
        f"[#war-room] bot (to @bob): @{name} is a broadcast, not a person: the SRM must be one "
        "person, such as `@alice` or `me`."
    ] == conv.say(f"spy incident srm {who}", user="bob")
    refused = conv.say(f"spy incident handoff {who}", user="bob")
    assert 1 == len(refused)
    assert "is a broadcast, not a person" in refused[0]
    tldr = conv.say("spy incident tldr", user="bob")
    assert "[#war-room] bot: Incident Commander (IMOC): @alice" in tldr


@pytest.mark.parametrize("who", ["<!here>", "<!channel>", "<!everyone>"])
def test_slack_broadcast_markup_is_refused_as_a_role(conv: Conversation, who: str) -> None:
    conv.say("spy incident start me checkout is down", user="alice")
    refused = conv.say(f"spy incident imoc {who}", user="bob")
    assert refused
    assert all(line.startswith("[#war-room] bot (to @bob): ") for line in refused)
    assert "Incident Commander (IMOC): @alice" in " ".join(conv.say("spy incident tldr", user="b"))


def test_an_incident_cannot_start_with_a_broadcast_as_imoc(conv: Conversation) -> None:
    assert [
        "[#war-room] bot (to @bob): @here is a broadcast, not a person: the IMOC must be one "
        "person, such as `@alice` or `me`."
    ] == conv.say("spy incident start @here checkout is down", user="bob")
    assert ["[#war-room] bot: No incidents right now."] == conv.say("spy incidents", user="bob")


def test_is_broadcast_knows_every_platforms_forms() -> None:
    for name in ("here", "@here", "<!here>", "<!channel>", "<!here|here>", "@room", "@all",
                 "<!subteam^S0123>", "@Everyone"):  # fmt: skip
        assert is_broadcast(name), name
    for name in ("alice", "@herek", "channels", "U0ALICE001"):
        assert not is_broadcast(name), name


HOSTILE = "<!channel> @here <!everyone> db down"


def _segments_with(doc: Doc, text: str) -> list[object]:
    return [seg for line in doc.lines for seg in line if text in getattr(seg, "text", "")]


def _mentions(doc: Doc) -> set[str]:
    return {seg.user for line in doc.lines for seg in line if isinstance(seg, Mention)}


def test_users_text_is_inert_text_in_every_doc_that_carries_it() -> None:
    """A summary or devoncall text with broadcasts stays a Text segment (which every renderer
    escapes); the only Mentions are the people the bot means."""
    incident = Incident(1, "slack", "war-room", HOSTILE, "alice", "alice", None, T0)
    member = core_rotation.Member("bob")
    docs = {
        "topic": (incident_words.topic(incident), {"alice"}),
        "started": (incident_words.started(incident), {"alice"}),
        "started_here": (incident_words.started_here(incident), {"alice"}),
        "tldr": (incident_words.tldr(incident, [], T0), {"alice"}),
        "list": (incident_words.incident_list([incident], T0, history=False), {"alice"}),
        "handoff": (
            Doc.of(incident_words.handed_off(incident, actor="bob", previous="carol")),
            {"alice", "bob", "carol"},
        ),
        "ping": (rotation_words.ping(member, HOSTILE, step=1, emoji="eyes", previous=()), {"bob"}),
        "managers": (
            rotation_words.managers(["erin"], reason="nobody is online", text=HOSTILE, emoji="e"),
            {"erin"},
        ),
        "page_dm": (page_dm(HOSTILE), set()),
    }
    for name, (doc, people) in docs.items():
        carried = _segments_with(doc, "<!channel>")
        assert carried, name
        assert all(isinstance(seg, Text) for seg in carried), name
        assert people == _mentions(doc), name
    topic = slack_render.topic(incident_words.topic(incident))
    assert "<!channel>" not in topic
    assert "&lt;!channel&gt;" in topic


# -- 7. limits on milestones -------------------------------------------------------------------


def test_failures_cannot_start_more_than_30_days_before_the_incident(conv: Conversation) -> None:
    conv.say("spy incident start me checkout is down", user="alice")
    assert [
        "[#war-room] bot (to @alice): Failures cannot start more than 30 days before the "
        "incident started: at the earliest 2017-01-24 22:42:36 UTC."
    ] == conv.say("spy incident failures started 1970-01-01T00:00:00", user="alice")
    assert [
        "[#war-room] bot (to @alice): Failures cannot be mitigated more than 30 days before the "
        "incident started: at the earliest 2017-01-24 22:42:36 UTC."
    ] == conv.say("spy incident mitigated 1970-01-01T00:00:00", user="alice")
    ok = conv.say("spy incident failures started 2017-01-25T00:00:00", user="alice")
    assert ["[#war-room] bot: 📉 Failures started at 2017-01-25 00:00:00 UTC (INC-1)."] == ok
    assert [
        "[#war-room] bot (to @alice): Failures cannot be mitigated before they started."
    ] == conv.say("spy incident mitigated 2017-01-24T23:00:00", user="alice")


def test_the_bound_holds_in_the_core_and_leaves_the_incident_unchanged() -> None:
    from warroom.core.incident import mark_failures_started

    incident, _ = start(platform="shell", channel="c", summary="x", imoc="a", reporter="a", now=T0)
    with pytest.raises(IncidentError, match="30 days"):
        mark_failures_started(incident, at=datetime(1970, 1, 1, tzinfo=UTC), actor="a", now=T0)
    assert incident.failures_started_at is None


# -- 8. wording ---------------------------------------------------------------------------------


def test_counts_of_one_are_singular(app: App, settings: Settings, clock: FixedClock) -> None:
    settings.rotation.escalate_after = 2
    settings.rotation.max_engineers = 1
    app.import_roster(
        parse_csv("handle,tz,manager\nalice,UTC,no\nbob,UTC,no\nerin,UTC,yes\n"), replace=False
    )
    conv = Conversation(app)
    try:
        conv.say("devoncall db on fire", user="zed")
        clock.advance(seconds=2)
        escalated = conv.run_timers()
        top = conv.say("top", user="bob", dm=True)
        roster = conv.say("!roster", user="bob")
    finally:
        conv.close()
    assert escalated[0].startswith("[#war-room] bot (thread): 🆘 @erin: no ACK from 1 engineer.")
    assert "[dm @bob] bot: 2. alice (1 turn, UTC)" in top
    assert "[#war-room] bot: *Roster: 2 engineers, 1 manager*" == roster[0]
    assert any("alice (alice; UTC; 1 ping)" in line for line in roster)


def test_page_dms_hide_the_dedup_key_and_name_the_war_room() -> None:
    from warroom.core.doc import render_plain

    assert (
        "📟 You are paged: checkout is down\n"
        "Join the war room #ir-20170223-2242; `pager list` shows the open pages."
    ) == render_plain(page_dm("checkout is down", war_room="ir-20170223-2242"))
    assert (
        "📟 You are paged: checkout is down\n"
        "`pager list` shows the open pages; `pager ack <page>` acknowledges."
    ) == render_plain(page_dm("checkout is down"))


def test_tldr_counts_one_earlier_entry_in_the_singular() -> None:
    from warroom.core.incident import Event, EventKind

    incident = Incident(1, "shell", "c", "x", "a", "a", None, T0)
    events = [Event(T0, "a", EventKind.NOTE, f"n{i}") for i in range(26)]
    lines = [
        "".join(getattr(s, "text", "") for s in line)
        for line in incident_words.tldr(incident, events, T0).lines
    ]
    assert "(1 earlier entry: incident report)" in lines
