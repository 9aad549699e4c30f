"""The Matrix adapter against a real Synapse on 127.0.0.1, with the people as real nio clients.

One homeserver per test session (tests/matrix_helpers.py); each test runs its own bot on its own
SQLite database, in rooms of its own.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
import uuid
from functools import partial
from pathlib import Path

import httpx
import nio
import pytest

from helpers import run_warroom, start_warroom
from matrix_helpers import bot_settings, matrix_bot, people
from slack_helpers import DANIELLA, MANIFEST_SCOPES, WAR_ROOM
from warroom.app.service import App
from warroom.chat.matrix import MatrixBot
from warroom.config import Secrets, Settings
from warroom.core.doc import Doc
from warroom.ports import ChatError
from warroom.telemetry import REGISTRY
from warroom.testing.fake_slack import FakeSlack
from warroom.testing.synapse import Account, Synapse
from warroom.wiring import matrix_settings as matrix_settings_for
from warroom.wiring import runtime_for

pytestmark = pytest.mark.slow


def fresh(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:6]}"


def test_the_spy_conversation_on_matrix(
    synapse: Synapse, accounts: dict[str, Account], matrix_app: App
) -> None:
    """Start, topic, note, handoff, tldr, stop and report, with pills and m.mentions."""

    async def scenario() -> None:
        async with (
            people(synapse, accounts) as p,
            matrix_bot(matrix_app, synapse, accounts["warroom"]),
        ):
            alice, bob = p["alice"], p["bob"]
            name = fresh("checkout")
            room = await alice.create_room(name)
            await alice.wait_for_member(room, accounts["warroom"].user_id)
            await bob.join(room)
            await p["carol"].join(room)

            await alice.say(room, "warroom incident start me checkout is down")
            (started,) = await alice.from_bot(room)
            body = started["content"]["body"]
            assert body.startswith("🔥 An incident was reported at ")
            assert "@alice is the IMOC. (INC-1)\nStatus summary: checkout is down" in body
            alias = f"#{name}:warroom.test"
            assert f"Incident was bound to #{name}. Please use #{name} for" in body
            assert (
                f'<a href="https://matrix.to/#/{alias}">#{name}</a>'
                in started["content"]["formatted_body"]
            )
            html = started["content"]["formatted_body"]
            assert (
                '<a href="https://matrix.to/#/@alice:warroom.test">@alice</a> is the IMOC' in html
            )
            assert {"user_ids": ["@alice:warroom.test"]} == started["content"]["m.mentions"]
            topic = await alice.wait_for("m.room.topic", room)
            assert "🔥 @alice is IMOC for incident: checkout is down" == topic["content"]["topic"]

            await bob.say(room, "warroom incident note @room rolled back <b>deploy</b> 1234")
            (noted,) = await alice.from_bot(room)
            assert "📝 Noted on INC-1." == noted["content"]["body"]

            pill = '<a href="https://matrix.to/#/@bob:warroom.test">Bob</a>'
            await alice.say(
                room, "warroom incident handoff Bob", html=f"warroom incident handoff {pill}"
            )
            (handed,) = await alice.bodies(room)
            assert "🤝 @alice handed off the IMOC role to @bob. INC-1: checkout is down" == handed

            await bob.say(room, "!incident tldr")
            (tldr,) = await alice.from_bot(room)
            assert tldr["content"]["body"].startswith('*INC-1 "checkout is down"*\nTimeline:\n')
            # Users' text stays text: no pill, no markup, no @room mention.
            assert (
                "Note: @room rolled back &lt;b&gt;deploy&lt;/b&gt; 1234"
                in tldr["content"]["formatted_body"]
            )
            assert "room" not in tldr["content"]["m.mentions"]

            # @room in users' text rang nobody: every reply carries m.mentions.
            assert [] == await p["carol"].highlights(room)

            await bob.say(room, "warroom incident stop")
            (stopped,) = await alice.bodies(room)
            assert stopped.startswith("✅ Incident stopped at ")
            handed_topic = await alice.wait_for("m.room.topic", room)
            assert (
                "🔥 @bob is IMOC for incident: checkout is down" == handed_topic["content"]["topic"]
            )
            cleared = await alice.wait_for("m.room.topic", room)
            assert "" == cleared["content"]["topic"]
            await bob.say(room, "warroom incident report 1")
            (report,) = await alice.bodies(room)
            assert "# Service disruption: checkout is down" in report
            assert "Handed off the IMOC role to @bob" in report

    asyncio.run(scenario())


def test_ir_page_creates_a_war_room_and_invites_the_commanders(
    synapse: Synapse, accounts: dict[str, Account], matrix_app: App
) -> None:
    """`!ir page` creates a room with an alias and invites whoever the builtin roster has on
    call as commanders; they can join it by the invitation."""

    async def scenario() -> None:
        async with (
            people(synapse, accounts) as p,
            matrix_bot(matrix_app, synapse, accounts["warroom"]),
        ):
            dave = p["dave"]
            room = await dave.create_room(fresh("ops"))
            await dave.wait_for_member(room, accounts["warroom"].user_id)
            await dave.say(room, "!ir page checkout is down")
            replies = "\n".join(await dave.bodies(room, 1))
            assert "#ir-" in replies, replies
            alias = re.search(r"#(ir-\d{8}-\d{4})", replies)
            assert alias is not None, replies
            found = await dave.client.room_resolve_alias(f"#{alias[1]}:warroom.test")
            assert isinstance(found, nio.RoomResolveAliasResponse), found
            paging = re.search(r"commanders \(([^)]*)\)", replies)
            assert paging is not None, replies
            paged = [n.strip().lstrip("@") for n in paging[1].split(",")]
            assert len(paged) >= 2  # primary and backup (and the trainee)
            for name in paged:
                await p[name].wait_for("invite", found.room_id)
            for name in set(p) - set(paged) - {"dave"}:
                assert found.room_id not in [e["room_id"] for e in p[name].seen]
            assert found.room_id == await p[paged[0]].join(found.room_id)

    asyncio.run(scenario())


def test_devoncall_pings_in_a_thread_escalates_and_eyes_acknowledge(
    synapse: Synapse, accounts: dict[str, Account], matrix_app: App
) -> None:
    """The queue's head who is online (presence) is pinged in a thread; nobody reacts, so the
    next is pinged; a 👀 reaction on the ping acknowledges."""

    async def scenario() -> None:
        async with (
            people(synapse, accounts) as p,
            matrix_bot(matrix_app, synapse, accounts["warroom"]),
        ):
            dave = p["dave"]
            room = await dave.create_room(fresh("dev"))
            await dave.wait_for_member(room, accounts["warroom"].user_id)
            for name in ("alice", "bob"):
                await p[name].join(room)
            trigger = await dave.say(room, "devoncall db is on fire")
            first = await dave.from_bot(room)
            assert "@alice you're on call for: db is on fire" in first[0]["content"]["body"]
            relates = first[0]["content"]["m.relates_to"]
            assert ("m.thread", trigger) == (relates["rel_type"], relates["event_id"])
            assert ["@alice:warroom.test"] == first[0]["content"]["m.mentions"]["user_ids"]
            # A ping rings: m.text with the mention (an m.notice would be silenced).
            assert "m.text" == first[0]["content"]["msgtype"]
            rang = await p["alice"].highlights(room)
            assert [first[0]["event_id"]] == [e["event_id"] for e in rang]
            (second,) = await dave.from_bot(room, timeout=30)  # escalate_after: 2 s
            assert "@bob you're on call for: db is on fire" in second["content"]["body"]
            await p["bob"].react(room, second["event_id"])
            (acked,) = await dave.bodies(room)
            assert acked.startswith("👀 @bob acknowledged after ")

    asyncio.run(scenario())


def test_a_notice_in_another_room_points_at_the_incident(
    synapse: Synapse, accounts: dict[str, Account], matrix_app: App
) -> None:
    async def scenario() -> None:
        async with (
            people(synapse, accounts) as p,
            matrix_bot(matrix_app, synapse, accounts["warroom"]),
        ):
            alice, carol = p["alice"], p["carol"]
            war_room = await alice.create_room(fresh("war"))
            support = await carol.create_room(fresh("support"))
            await alice.wait_for_member(war_room, accounts["warroom"].user_id)
            await carol.wait_for_member(support, accounts["warroom"].user_id)
            await alice.say(war_room, "warroom incident start me 502s on storefront")
            await alice.from_bot(war_room)
            asked = await carol.say(support, "anyone else seeing 502s on the storefront?")
            (notice,) = await carol.from_bot(support)
            body = notice["content"]["body"]
            assert body.startswith("⚠ Hey @carol, an incident (502s on storefront) is active")
            assert "You may contact the IMOC (@alice)" in body
            assert asked == notice["content"]["m.relates_to"]["event_id"]

    asyncio.run(scenario())


def test_a_restart_neither_replays_nor_loses(
    synapse: Synapse, accounts: dict[str, Account], matrix_app: App
) -> None:
    """What was said while the bot was down is answered once after it starts again; what it
    answered before is not answered again."""

    async def scenario() -> None:
        async with people(synapse, accounts) as p:
            alice = p["alice"]
            name = fresh("restart")
            room = await alice.create_room(name)
            async with matrix_bot(matrix_app, synapse, accounts["warroom"]):
                await alice.wait_for_member(room, accounts["warroom"].user_id)
                await alice.say(room, "warroom incident start me queue is stuck")
                await alice.from_bot(room)
            await alice.say(room, "warroom incident note said while it was down")
            await alice.say(room, "warroom incident srm @bob")
            async with matrix_bot(matrix_app, synapse, accounts["warroom"]) as bot:
                noted, srm = await alice.bodies(room, 2)
                assert noted.startswith("📝 Noted on INC-")
                assert srm.startswith("🎧 @bob is the SRM of INC-")
                await alice.say(room, "!incident tldr")
                (tldr,) = await alice.bodies(room)
                assert 1 == tldr.count("Note: said while it was down")
                # The room by its alias, though this sync has not shown its state to the bot.
                assert f"#{name}" in tldr, tldr
                assert 3 == bot.handled  # the two said while down, and the tldr
            await alice.sync()
            assert [] == [
                e
                for e in alice.seen
                if e.get("sender") == alice.bot
                and not e.get("_taken")
                and e["type"] == "m.room.message"
                and e["room_id"] == room
            ]

    asyncio.run(scenario())


def test_a_burst_of_20_is_answered_in_order(
    synapse: Synapse, accounts: dict[str, Account], matrix_app: App
) -> None:
    async def scenario() -> None:
        async with (
            people(synapse, accounts) as p,
            matrix_bot(matrix_app, synapse, accounts["warroom"]),
        ):
            alice = p["alice"]
            room = await alice.create_room(fresh("burst"))
            await alice.wait_for_member(room, accounts["warroom"].user_id)
            await alice.say(room, "warroom incident start me burst")
            await alice.from_bot(room)
            for n in range(20):
                await alice.say(room, f"warroom incident note step {n:02d}")
            replies = [e["content"]["body"] for e in await alice.from_bot(room, 20, timeout=60)]
            assert 20 == len([r for r in replies if r.startswith("📝 Noted on INC-")])
            await alice.say(room, "!incident tldr")
            (tldr,) = await alice.bodies(room)
            steps = [
                line.rsplit("step ", 1)[1] for line in tldr.splitlines() if "Note: step" in line
            ]
            assert [f"{n:02d}" for n in range(20)] == steps

    asyncio.run(scenario())


def test_an_encrypted_room_is_told_the_bot_cannot_read_it(
    synapse: Synapse, accounts: dict[str, Account], matrix_app: App
) -> None:
    async def scenario() -> None:
        async with (
            people(synapse, accounts) as p,
            matrix_bot(matrix_app, synapse, accounts["warroom"]),
        ):
            alice = p["alice"]
            resp = await alice.client.room_create(
                name=fresh("secret"),
                invite=[alice.bot],
                initial_state=[
                    {
                        "type": "m.room.encryption",
                        "state_key": "",
                        "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                    }
                ],
            )
            assert isinstance(resp, nio.RoomCreateResponse), resp
            (said,) = await alice.bodies(resp.room_id)
            assert said.startswith("🔒 This room is end-to-end encrypted and I cannot read")
            await alice.say(resp.room_id, "warroom incident list")  # nio sends it in clear
            await asyncio.sleep(1)
            await alice.sync()
            assert [] == [
                e
                for e in alice.seen
                if e.get("sender") == alice.bot
                and not e.get("_taken")
                and e["room_id"] == resp.room_id
                and "🔒" in e["content"].get("body", "")
            ]

    asyncio.run(scenario())


def test_a_direct_room_takes_commands_without_the_bots_name(
    synapse: Synapse, accounts: dict[str, Account], matrix_app: App
) -> None:
    async def scenario() -> None:
        async with (
            people(synapse, accounts) as p,
            matrix_bot(matrix_app, synapse, accounts["warroom"]) as bot,
        ):
            erin = p["erin"]
            resp = await erin.client.room_create(
                is_direct=True, invite=[erin.bot], preset=nio.RoomPreset.trusted_private_chat
            )
            assert isinstance(resp, nio.RoomCreateResponse), resp
            await erin.wait_for_member(resp.room_id, erin.bot)
            await erin.say(resp.room_id, "incident list")
            (listing,) = await erin.bodies(resp.room_id)
            assert "incident" in listing.lower()
            assert resp.room_id == bot.chat._direct["@erin:warroom.test"]

    asyncio.run(scenario())


def test_rate_limits_are_waited_out_in_order(
    synapse: Synapse, accounts: dict[str, Account], matrix_app: App
) -> None:
    """The homeserver answers M_LIMIT_EXCEEDED with retry_after_ms; every post still lands,
    in order."""
    admin = synapse.register("root", admin=True)
    bot_id = accounts["warroom"].user_id
    override = f"{synapse.url}/_synapse/admin/v1/users/{bot_id}/override_ratelimit"
    headers = {"Authorization": f"Bearer {admin.access_token}"}

    async def scenario() -> None:
        async with (
            people(synapse, accounts) as p,
            matrix_bot(matrix_app, synapse, accounts["warroom"]) as bot,
        ):
            alice = p["alice"]
            room = await alice.create_room(fresh("slow"))
            await alice.wait_for_member(room, bot_id)
            limit = {"messages_per_second": 2, "burst_count": 2}
            httpx.post(override, json=limit, headers=headers).raise_for_status()
            try:
                began = time.monotonic()
                for n in range(8):
                    await bot.chat.post(channel=room, doc=Doc.of(f"post {n}"))
                waited = time.monotonic() - began
            finally:
                httpx.delete(override, headers=headers).raise_for_status()
            assert [f"post {n}" for n in range(8)] == await alice.bodies(room, 8)
            assert waited > 1.5  # 2 a second after a burst of 2: the limit was met and waited out

    asyncio.run(scenario())


def test_invitations_are_accepted_only_from_allowed_servers(
    synapse: Synapse, accounts: dict[str, Account], matrix_app: App
) -> None:
    async def scenario() -> None:
        settings = bot_settings(synapse, accounts["warroom"])
        settings.invites_from = ["partner.example"]
        factory = partial(runtime_for, matrix_app)
        async with people(synapse, accounts) as p:
            async with MatrixBot(matrix_app, settings, runtime_factory=factory) as bot:
                bob = p["bob"]
                room = await bob.create_room(fresh("closed"))
                declined = await bob.wait_for(
                    "m.room.member",
                    room,
                    lambda e: (
                        e.get("state_key") == bot.settings.user_id
                        and e["content"].get("membership") == "leave"
                    ),
                )
                assert room not in bot.client.rooms
                assert bot.settings.user_id == declined["sender"]
            settings.invites_from = []  # default: the bot's own server
            async with MatrixBot(matrix_app, settings, runtime_factory=factory) as bot:
                await bob.client.room_invite(room, bot.settings.user_id)
                await bob.wait_for_member(room, bot.settings.user_id)

    asyncio.run(scenario())


def test_a_gap_longer_than_one_sync_is_paged_back_and_answered_once(
    synapse: Synapse, accounts: dict[str, Account], matrix_app: App
) -> None:
    """More said while the bot was down than one sync returns (here 3 events a room): the rest
    is read back from the room's history, each message answered once."""

    async def scenario() -> None:
        async with people(synapse, accounts) as p:
            alice = p["alice"]
            room = await alice.create_room(fresh("gap"))
            async with matrix_bot(matrix_app, synapse, accounts["warroom"], timeline_limit=3):
                await alice.wait_for_member(room, accounts["warroom"].user_id)
                await alice.say(room, "warroom incident start me gap")
                await alice.from_bot(room)
            for n in range(7):
                await alice.say(room, f"warroom incident note while away {n}")
            async with matrix_bot(matrix_app, synapse, accounts["warroom"], timeline_limit=3):
                replies = await alice.bodies(room, 7)
                assert 7 == len([r for r in replies if r.startswith("📝 Noted on INC-")])
                await alice.say(room, "!incident tldr")
                (tldr,) = await alice.bodies(room)
            notes = [line.rsplit(" ", 1)[1] for line in tldr.splitlines() if "while away" in line]
            assert [str(n) for n in range(7)] == notes

    asyncio.run(scenario())


def test_a_wrong_token_stops_the_start_with_a_clear_message(
    synapse: Synapse, accounts: dict[str, Account], matrix_app: App
) -> None:
    async def scenario() -> None:
        settings = bot_settings(synapse, accounts["warroom"])
        settings.access_token = "syt_not_a_token"
        bot = MatrixBot(matrix_app, settings, runtime_factory=partial(runtime_for, matrix_app))
        with pytest.raises(ChatError, match="My Matrix access token is not valid"):
            await bot.start()

    asyncio.run(scenario())


COUNTED = (
    "warroom_chat_api_errors_total",
    {"platform": "matrix", "method": "resolving the alias"},
)


def test_a_war_room_made_twice_is_the_same_room_and_inviting_members_is_no_error(
    synapse: Synapse, accounts: dict[str, Account], matrix_app: App
) -> None:
    async def scenario() -> None:
        async with (
            people(synapse, accounts) as p,
            matrix_bot(matrix_app, synapse, accounts["warroom"]) as bot,
        ):
            name = fresh("ir")
            room = await bot.chat.create_channel(name=name)
            assert room == await bot.chat.create_channel(name=name)
            await bot.chat.invite(channel=name, users=["carol"])
            assert room == await p["carol"].join(room)
            await bot.chat.invite(channel=room, users=["carol", "@carol:warroom.test"])
            refused = REGISTRY.get_sample_value(*COUNTED) or 0
            with pytest.raises(ChatError, match="I can't act in"):
                await bot.chat.post(channel="no-such-room", doc=Doc.of("hello"))
            assert refused + 1 == REGISTRY.get_sample_value(*COUNTED)  # in /metrics

    asyncio.run(scenario())


@pytest.mark.slow
def test_matrix_login_once_with_a_password_then_run_on_the_stored_token(
    tmp_path: Path, synapse: Synapse, matrix_app: App, matrix_settings: Settings
) -> None:
    """`warroom matrix login` logs in with a password once and stores the token and device in
    the database; with no MATRIX_ACCESS_TOKEN the bot then runs on that login. A wrong
    password is refused in one line and nothing is stored."""
    account = synapse.register("warroom-login")
    db = f"sqlite:///{tmp_path / 'warroom.db'}"
    base = ["matrix", "login", "--db", db, "--homeserver", synapse.url, "--user", account.user_id]
    wrong = run_warroom(*base, "--password-env", "PW", tmp_path=tmp_path, env={"PW": "nope"})
    assert 1 == wrong.returncode
    assert "refused the login" in wrong.stderr
    assert [] == matrix_app.matrix_logins()
    done = run_warroom(
        *base, "--password-env", "PW", tmp_path=tmp_path, env={"PW": account.password}
    )
    assert 0 == done.returncode, done.stderr
    [(user_id, homeserver, token, device)] = matrix_app.matrix_logins()
    assert (account.user_id, synapse.url) == (user_id, homeserver)
    found = matrix_settings_for(matrix_settings, Secrets(), app=matrix_app)
    assert found is not None
    assert (token, device) == (found.access_token, found.device_id)

    async def scenario() -> None:
        bot = MatrixBot(matrix_app, found, runtime_factory=partial(runtime_for, matrix_app))
        async with bot:
            assert bot.chat is not None

    asyncio.run(scenario())


@pytest.mark.slow
def test_warroom_run_serves_slack_and_matrix_in_one_process(
    tmp_path: Path, synapse: Synapse, accounts: dict[str, Account]
) -> None:
    """With Slack's tokens and a Matrix account both set, `warroom run` serves both on one
    database and one runtime: a command on each platform is answered on that platform."""
    bot = synapse.register("warroom-both")

    async def scenario() -> None:
        async with (
            FakeSlack(scopes=MANIFEST_SCOPES) as slack,
            people(synapse, {**accounts, "warroom": bot}) as p,
        ):
            slack.channel(WAR_ROOM, "war-room")
            env = {
                "SLACK_BOT_TOKEN": "xoxb-both",
                "SLACK_APP_TOKEN": "xapp-both",
                "SLACK_API_URL": slack.api_url,
                "MATRIX_HOMESERVER": synapse.url,
                "MATRIX_USER_ID": bot.user_id,
                "MATRIX_ACCESS_TOKEN": bot.access_token,
            }
            db = f"sqlite:///{tmp_path / 'both.db'}"
            proc = start_warroom(
                "run", "--db", db, "--no-web", tmp_path=tmp_path, env=env,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            try:
                await slack.wait_connected(timeout=60)
                envelope = await slack.message(DANIELLA, WAR_ROOM, "spy incident start me api down")
                await slack.wait_ack(envelope)
                await slack.wait_calls("conversations.setTopic", 1, timeout=30)
                alice = p["alice"]
                room = await alice.create_room(f"both-{uuid.uuid4().hex[:6]}")
                await alice.wait_for_member(room, bot.user_id)
                await alice.say(room, "warroom incident start me checkout is down")
                (started,) = await alice.bodies(room)
                assert "An incident was reported" in started
            finally:
                proc.terminate()
                _, err = await asyncio.to_thread(proc.communicate, timeout=60)
            assert 0 == proc.returncode, err
            assert "Slack (Socket Mode" in err
            assert "and Matrix (" in err
            assert any("api down" in post for post in slack.posts(WAR_ROOM))

    asyncio.run(scenario())
