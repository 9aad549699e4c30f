"""The Slack adapter over real sockets: the real slack_bolt and slack_sdk against the fake Slack.

Each test runs a bot connected in Socket Mode to `warroom.testing.fake_slack.FakeSlack` on
127.0.0.1, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import logging

import pytest

from paging_config import with_roster
from slack_helpers import (
    CAMILO,
    CHARLIE,
    DANIELLA,
    FELIX,
    HORMOZ,
    MANIFEST_SCOPES,
    SUPPORT,
    USERS,
    WAR_ROOM,
    Session,
    connected,
    run,
    texts,
)
from warroom.app.service import App
from warroom.config import Settings
from warroom.store.db import connect
from warroom.testing import FixedClock
from warroom.testing.fake_slack import BOT_USER, FakeSlack


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.slack.posts_per_second = 1000.0  # pacing has its own test
    settings.reminders = []  # reminders have their own tests; these move the clock by minutes
    settings.severities.ask_unset = (
        False  # so has the high-impact question (tests/test_severity.py)
    )
    return settings


async def _start(s: Session) -> None:
    calls = await s.say(DANIELLA, "spy incident start me checkout is down")
    assert [
        "🔥 An incident was reported at 2017-02-23 22:42:36 UTC. <@U01DANIELLA> is the "
        "IMOC. (INC-1)\n"
        "Status summary: checkout is down\n"
        "Incident was bound to <#C0WARROOM>. Please use <#C0WARROOM> for communications, "
        "or rebind the incident with `incident channel ...`."
    ] == texts(calls)
    assert ["chat.postMessage", "conversations.setTopic"] == [c.method for c in calls]
    started = calls[0]
    assert WAR_ROOM == started.args["channel"]
    assert "section" == started.args["blocks"][0]["type"]
    assert "xoxb-test" == started.token
    assert (
        "🔥 <@U01DANIELLA> is IMOC for incident: checkout is down"
        == s.slack.channels[WAR_ROOM].topic
    )


async def _note_milestones_and_srm(s: Session, clock: FixedClock) -> None:
    clock.advance(minutes=1)
    assert ["📝 Noted on INC-1."] == texts(
        await s.say(CAMILO, "spy incident note rolled back deploy 1234")
    )
    assert ["📉 Failures started at 2017-02-23 22:33:36 UTC (INC-1)."] == texts(
        await s.say(DANIELLA, "spy incident failures started 10m ago")
    )
    clock.advance(minutes=20)
    assert [
        "📈 Failures mitigated at 2017-02-23 23:03:36 UTC (INC-1). Time to mitigate: 30m 00s."
    ] == texts(await s.say(DANIELLA, "<@UBOT> incident mitigated"))
    assert ["🎧 <@U03CHARLIE> is the SRM of INC-1."] == texts(
        await s.say(DANIELLA, f"spy incident srm <@{CHARLIE}>")
    )


async def _tldr(s: Session) -> None:
    (tldr_call,) = [
        c for c in await s.say(FELIX, "!incident tldr") if c.method == "chat.postMessage"
    ]
    tldr = tldr_call.args["text"]
    # Block Kit: the roles and milestones as two columns, the text as the fallback.
    fields = next(b for b in tldr_call.args["blocks"] if "fields" in b)["fields"]
    assert {"type": "mrkdwn", "text": "*Incident Commander (IMOC)*\n<@U01DANIELLA>"} == (fields[0])
    assert "*Failures Started*\n2017-02-23 22:33:36 UTC" in [f["text"] for f in fields]
    assert tldr.startswith('*INC-1 "checkout is down"*\nTimeline:\n')
    assert "2017-02-23 22:43:36 UTC: <@U02CAMILO>: Note: rolled back deploy 1234" in tldr
    assert "Incident Commander (IMOC): <@U01DANIELLA>" in tldr
    assert "Support Response (SRM): <@U03CHARLIE>" in tldr
    assert "Failures Mitigated: 2017-02-23 23:03:36 UTC" in tldr
    assert "People Involved: <@U01DANIELLA>, <@U02CAMILO>, <@U03CHARLIE>" in tldr


async def _handoff_and_tell(s: Session) -> None:
    calls = await s.say(DANIELLA, f"spy incident handoff <@{HORMOZ}|hormoz>")
    assert [
        "🤝 <@U01DANIELLA> handed off the IMOC role to <@U04HORMOZ>. INC-1: checkout is down"
    ] == texts(calls)
    assert (
        "🔥 <@U04HORMOZ> is IMOC for incident: checkout is down" == s.slack.channels[WAR_ROOM].topic
    )
    calls = await s.say(HORMOZ, "spy incident tell support please hold the refunds queue")
    posted = {c.args["channel"]: c.args["text"] for c in calls if c.status == 200}
    assert {
        SUPPORT: "📣 <@U04HORMOZ> from INC-1 (checkout is down) in <#C0WARROOM>: "
        "please hold the refunds queue",
        WAR_ROOM: "📣 Told support in <#C0SUPPORT>.",
    } == posted


async def _stop_and_report(s: Session, clock: FixedClock) -> None:
    clock.advance(minutes=30)
    calls = await s.say(HORMOZ, "spy incident stop")
    (stopped,) = texts(calls)
    assert stopped.startswith(
        "✅ Incident stopped at 2017-02-23 23:33:36 UTC. Thanks for letting us know."
    )
    assert "" == s.slack.channels[WAR_ROOM].topic
    assert "conversations.setTopic" == calls[-1].method

    (report,) = texts(await s.say(DANIELLA, "spy incident report 1"))
    assert "# Service disruption: checkout is down" in report
    assert "- **Time to mitigate:** 30m 00s" in report
    assert "Handed off the IMOC role to @hormoz" in report


def test_the_spy_conversation_on_slack(app: App, clock: FixedClock) -> None:
    """Start, tldr, note, milestones, handoff, tell, stop and report, as in the seed: replies,
    topic set and cleared, and the report, through slack_bolt's Socket Mode. One conversation,
    in the steps above."""

    async def scenario() -> None:
        async with connected(app) as s:
            await _start(s)
            await _note_milestones_and_srm(s, clock)
            await _tldr(s)
            await _handoff_and_tell(s)
            await _stop_and_report(s, clock)

        markdown = (
            app.settings.reports.resolved_dir() / "2017-02-23-inc-1-checkout-is-down.md"
        ).read_text()
        assert "- **Total duration:** 51m 00s" in markdown

    run(scenario)


def test_usage_errors_go_ephemeral_to_the_sender_and_chatter_gets_nothing(app: App) -> None:
    async def scenario() -> None:
        async with connected(app) as s:
            calls = await s.say(CAMILO, "spy incident handoff")
            assert ["chat.postEphemeral"] == [c.method for c in calls]
            assert CAMILO == calls[0].args["user"]
            assert (
                "To whom? Name a person.\nUsage: `incident handoff @user`" == calls[0].args["text"]
            )
            assert [] == await s.say(CAMILO, "the build is broken again")
            dm = await s.say(CAMILO, "incidents", channel="D0CAMILO")
            assert ["No incidents right now."] == texts(dm)
            assert CAMILO == dm[0].args["channel"]  # Slack posts it in the app's DM

    run(scenario)


def test_a_redelivered_event_has_its_effect_once_also_after_a_restart(app: App) -> None:
    """Socket Mode re-sends an envelope it thinks was lost (same event_id), and a message comes
    both as `message` and `app_mention`: one note, one reply, even across a restart."""

    async def scenario() -> None:
        async with FakeSlack(scopes=MANIFEST_SCOPES) as slack:
            async with connected(app, slack) as s:
                await s.say(DANIELLA, "spy incident start me checkout is down")
                note = slack.message_event(CAMILO, WAR_ROOM, f"<@{BOT_USER}> incident note one")
                before = len(slack.posts())
                await s.push(note)
                await s.push(note, retry_attempt=1)
                mention = dict(note, event=dict(note["event"], type="app_mention"))
                mention["event_id"] = "Ev-other-id"
                await s.push(mention)
                assert ["📝 Noted on INC-1."] == slack.posts()[before:]
            async with connected(app, slack) as s:
                await s.push(note, retry_attempt=2)
                assert ["📝 Noted on INC-1."] == slack.posts()[before:]
                (tldr,) = texts(await s.say(FELIX, "spy incident tldr"))
                assert 1 == tldr.count("Note: one")

    run(scenario)


def test_http_429_is_retried_after_retry_after(app: App) -> None:
    """The reply is rate limited once; it is sent again no sooner than Retry-After says."""

    async def scenario() -> None:
        async with connected(app) as s:
            s.slack.rate_limit("chat.postMessage", retry_after=1)
            calls = await s.say(DANIELLA, "spy incidents")
            posts = [c for c in calls if c.method == "chat.postMessage"]
            assert [429, 200] == [c.status for c in posts]
            assert ["No incidents right now."] == texts(calls)
            # A lower bound only: it cannot fail on a slow machine.
            assert posts[1].at - posts[0].at >= 0.95

    run(scenario)


def test_text_users_typed_never_becomes_a_mention_or_broadcast(app: App) -> None:
    async def scenario() -> None:
        async with connected(app) as s:
            evil = "<!channel> db & <!here> <@U0BOSS> @here"
            calls = await s.say(DANIELLA, f"spy incident start me {evil}")
            escaped = "&lt;!channel&gt; db &amp; &lt;!here&gt; @U0BOSS @here"
            (started,) = texts(calls)
            assert f"Status summary: {escaped}" in started
            assert f"IMOC for incident: {escaped}" in s.slack.channels[WAR_ROOM].topic
            await s.say(CAMILO, f"spy incident note ping <!everyone> & <#{SUPPORT}> <@{FELIX}>")
            (tldr,) = texts(await s.say(CAMILO, "spy incident tldr"))
            # What people typed as mentions and links reads as names, and pings nobody.
            assert "Note: ping &lt;!everyone&gt; &amp; #support @felix" in tldr
            assert "<!" not in tldr
            assert "<@U0BOSS>" not in tldr
            for call in s.slack.calls:
                assert "link_names" not in call.args
                assert "<!" not in json.dumps(call.args.get("blocks", []))

    run(scenario)


def test_a_missing_scope_is_told_to_the_user_and_logged_with_the_fix(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        async with connected(app) as s:
            s.slack.fail(
                "conversations.setTopic",
                "missing_scope",
                needed="channels:write.topic",
                provided="chat:write",
            )
            calls = await s.say(DANIELLA, "spy incident start me checkout is down")
            assert ["chat.postMessage", "conversations.setTopic", "chat.postEphemeral"] == [
                c.method for c in calls
            ]
            told = calls[-1].args
            assert DANIELLA == told["user"]
            assert (
                "⚠ My Slack app lacks the permission `channels:write.topic` for this; ask whoever "
                "runs me to add it." == told["text"]
            )

    with caplog.at_level(logging.ERROR):
        run(scenario)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert 1 == len(errors)
    assert "add the OAuth scope `channels:write.topic`" in errors[0].getMessage()
    assert errors[0].exc_info is None  # a log line, not a traceback


def test_a_team_channel_the_bot_is_not_in_is_explained(app: App) -> None:
    """The refusal, with how to fix it, and no "📣 Told": a confirmation follows delivery."""

    async def scenario() -> None:
        async with connected(app) as s:
            await s.say(DANIELLA, "spy incident start me checkout is down")
            s.slack.fail("chat.postMessage", "not_in_channel")
            calls = await s.say(DANIELLA, "spy incident tell support refunds on hold")
            (told,) = [c for c in calls if c.method == "chat.postEphemeral"]
            assert (
                "⚠ I am not a member of #support. Invite me there with `/invite @warroom`."
                == told.args["text"]
            )
            assert [] == texts(calls)
            calls = await s.say(DANIELLA, "spy incident tell support refunds back on")
            assert [SUPPORT, WAR_ROOM] == [
                c.args["channel"] for c in calls if c.method == "chat.postMessage"
            ]
            assert "📣 Told support in <#C0SUPPORT>." == texts(calls)[-1]

    run(scenario)


def test_a_rebind_to_a_channel_the_bot_is_not_in_is_not_confirmed(app: App) -> None:
    """`incident channel #quiet` where the bot is no member: the refusal names #quiet (not its
    ID) and says how to fix it; "🔀 rebound" only once #quiet took the incident's post."""
    quiet = "C0QUIET"

    async def scenario() -> None:
        async with connected(app) as s:
            s.slack.channel(quiet, "quiet", joined=False)
            await s.say(DANIELLA, "spy incident start me checkout is down")
            calls = await s.say(DANIELLA, f"spy incident channel <#{quiet}|quiet>")
            told = [c.args["text"] for c in calls if c.method == "chat.postEphemeral"]
            assert [
                "⚠ I am not a member of #quiet. Invite me there with `/invite @warroom`."
            ] == told
            assert not any("rebound" in text for text in texts(calls))
            assert not any(quiet in text for text in told)

    run(scenario)


def test_posts_to_one_channel_are_paced_and_none_is_dropped(app: App) -> None:
    """Ten notes at once with a pace of 20 posts/s and no burst: all ten replies arrive."""
    app.settings.slack.posts_per_second = 20.0
    app.settings.slack.burst = 1

    async def scenario() -> None:
        async with connected(app) as s:
            await s.say(DANIELLA, "spy incident start me checkout is down")
            before = len(s.slack.posts(WAR_ROOM))
            for i in range(10):
                await s.slack.message(CAMILO, WAR_ROOM, f"spy incident note n{i}")
            s.events += 10
            await s.settle()
            assert ["📝 Noted on INC-1."] * 10 == s.slack.posts(WAR_ROOM)[before:]
            (tldr,) = texts(await s.say(FELIX, "spy incident tldr"))
            assert all(f"Note: n{i}" in tldr for i in range(10))

    run(scenario)


def test_spys_notice_is_a_thread_reply_on_slack(app: App) -> None:
    async def scenario() -> None:
        async with connected(app) as s:
            await s.say(DANIELLA, "spy incident start me checkout is down")
            asked = s.slack.message_event(CAMILO, SUPPORT, "is checkout broken for anyone?")
            await s.push(asked)
            (notice,) = s.slack.called("chat.postMessage")[-1:]
            assert SUPPORT == notice.args["channel"]
            assert asked["event"]["ts"] == notice.args["thread_ts"]
            assert (
                "⚠ Hey <@U02CAMILO>, an incident (checkout is down) is active and has been bound "
                "to <#C0WARROOM>. You may contact the IMOC (<@U01DANIELLA>) for more details."
                == notice.args["text"]
            )
            await s.push(asked, retry_attempt=1)
            assert 2 == len(s.slack.posts())
            await s.say(DANIELLA, "spy incident stop")
            closed = [c for c in s.slack.called("chat.postMessage") if c.args["channel"] == SUPPORT]
            assert asked["event"]["ts"] == closed[-1].args["thread_ts"]
            assert (
                "✅ Hey <@U02CAMILO>, incident in <#C0WARROOM> is closed."
                == closed[-1].args["text"]
            )

    run(scenario)


ROSTER_USERS = {**USERS, "U07ALICE": "alice", "U08BOB": "bob", "U09ERIN": "erin"}


def test_ir_page_reaches_each_commander_by_dm(
    db_url: str, settings: Settings, clock: FixedClock
) -> None:
    """`!ir page` on Slack with the builtin roster: the war room is created with the paged
    people invited, and each commander gets the page in a DM (their user ID as the channel)."""
    sessions = connect(db_url)
    app = App(sessions=sessions, settings=with_roster(settings), clock=clock)

    async def scenario() -> None:
        async with (
            FakeSlack(users=ROSTER_USERS, scopes=MANIFEST_SCOPES) as slack,
            connected(app, slack) as s,
        ):
            calls = await s.say(DANIELLA, "!ir page checkout is down")
            (invite,) = [c for c in calls if c.method == "conversations.invite"]
            assert "U01DANIELLA,U07ALICE,U08BOB,U09ERIN" == invite.args["users"]
            paged = {
                c.args["channel"]
                for c in calls
                if c.method == "chat.postMessage" and "You are paged" in c.args["text"]
            }
            assert {"U07ALICE", "U08BOB", "U09ERIN"} == paged
            assert [] == [(c.method, c.args.get("channel")) for c in calls if c.status != 200]

    try:
        run(scenario)
    finally:
        sessions.kw["bind"].dispose()


def test_a_commander_slack_does_not_know_costs_only_that_commander(
    db_url: str, settings: Settings, clock: FixedClock
) -> None:
    """Erin is in the roster but not in the Slack workspace: alice and bob still get their DMs,
    and no DM goes to a bare name (Slack would refuse it)."""
    sessions = connect(db_url)
    app = App(sessions=sessions, settings=with_roster(settings), clock=clock)
    users = {k: v for k, v in ROSTER_USERS.items() if v != "erin"}

    async def scenario() -> None:
        async with (
            FakeSlack(users=users, scopes=MANIFEST_SCOPES) as slack,
            connected(app, slack) as s,
        ):
            calls = await s.say(DANIELLA, "!ir page checkout is down")
            paged = {
                c.args["channel"]
                for c in calls
                if c.method == "chat.postMessage"
                and "You are paged" in c.args["text"]
                and c.status == 200
            }
            assert {"U07ALICE", "U08BOB"} == paged
            posted = [c for c in calls if c.method == "chat.postMessage"]
            assert all(c.args["channel"] != "erin" for c in posted)

    try:
        run(scenario)
    finally:
        sessions.kw["bind"].dispose()


def test_seven_429s_in_a_row_are_waited_out_not_reported(app: App) -> None:
    """Slack asks for 7 waits in a row: the answer arrives once, after them, and nobody is told
    to try again (which a later post would contradict)."""

    async def scenario() -> None:
        async with connected(app) as s:
            s.slack.rate_limit("chat.postMessage", retry_after=0, times=7)
            calls = await s.say(DANIELLA, "spy incident start me checkout is down")
            posts = [c for c in calls if c.method == "chat.postMessage"]
            assert [429] * 7 + [200] == [c.status for c in posts]
            assert [] == [c for c in calls if c.method == "chat.postEphemeral"]
            assert 1 == len(texts(calls))

    run(scenario)


def test_past_its_patience_the_sender_is_told_the_answer_is_delayed(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outbox posts it later: the sender hears "delayed", never "try again"."""
    monkeypatch.setattr("warroom.chat.slack.client.RATE_LIMIT_PATIENCE", 0.5)

    async def scenario() -> None:
        async with connected(app) as s:
            s.slack.rate_limit("chat.postMessage", retry_after=1, times=3)
            calls = await s.say(DANIELLA, "spy incident start me checkout is down")
            told = [c.args["text"] for c in calls if c.method == "chat.postEphemeral"]
            assert [
                "⚠ Slack has been rate limiting me for minutes, so what I had to say in "
                "#war-room is delayed; I keep trying."
            ] == told
            assert [] == texts(calls)
            # The outbox still holds it, undelivered, for the sweep to post.
            pending = app.pending_effects()
            assert any("checkout is down" in str(d.effect) for d in pending)

    run(scenario)


def test_a_read_only_answer_past_its_patience_is_not_called_delayed(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only command's answer has no outbox row, so nothing posts it later: the sender
    is told it was not sent and to ask again, not that it is delayed."""
    monkeypatch.setattr("warroom.chat.slack.client.RATE_LIMIT_PATIENCE", 0.5)

    async def scenario() -> None:
        async with connected(app) as s:
            s.slack.rate_limit("chat.postMessage", retry_after=1, times=3)
            calls = await s.say(DANIELLA, "spy incidents")
            told = [c.args["text"] for c in calls if c.method == "chat.postEphemeral"]
            assert [
                "⚠ Slack has been rate limiting me for minutes, so what I had to say in "
                "#war-room was not sent; ask me again in a minute."
            ] == told

    run(scenario)


def test_a_handoff_to_someone_not_in_the_workspace_is_refused(app: App) -> None:
    """Slack sends `@name` as `<@U…>`; an ID the workspace does not have gets no role, and the
    IMOC stays who it was."""

    async def scenario() -> None:
        async with connected(app) as s:
            await s.say(DANIELLA, "spy incident start me checkout is down")
            calls = await s.say(DANIELLA, "spy incident handoff <@U0NOBODY42>")
            said = [c.args["text"] for c in calls if c.method == "chat.postEphemeral"]
            assert ["I can't find U0NOBODY42 on slack: mention someone in this workspace."] == said
            calls = await s.say(DANIELLA, f"spy incident handoff <@{CAMILO}>")
            assert any("handed off" in text or "handed the IMOC" in text for text in texts(calls))

    run(scenario)


def test_ir_who_finds_a_person_slack_wrote_as_an_id(app: App, settings: Settings) -> None:
    """`!ir who @alice` arrives as `<@U07ALICE>`: the adapter names the ID, so the roster's
    alice is found."""
    app.settings = with_roster(settings)

    async def scenario() -> None:
        async with (
            FakeSlack(users=ROSTER_USERS, scopes=MANIFEST_SCOPES) as slack,
            connected(app, slack) as s,
        ):
            calls = await s.say(DANIELLA, "!ir who <@U07ALICE>")
            assert any("+1 555 0100" in text for text in texts(calls)), texts(calls)

    run(scenario)
