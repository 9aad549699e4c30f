"""The command registry and the effect specs: one table each, from which everything else is
derived; and read-only commands that write nothing."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import event, func, inspect, select, text

from warroom.app import effects as fx
from warroom.app import handlers
from warroom.app.context import Ctx
from warroom.app.service import App
from warroom.commands.addressing import bang_commands, command_text
from warroom.commands.grammar import parse
from warroom.commands.registry import REGISTRY, Args, Cursor, Entry, Registry, Shadowing
from warroom.commands.types import UsageError
from warroom.core.doc import Doc, render_plain
from warroom.ports import ChatMessage
from warroom.render.help import help_doc
from warroom.store import outbox
from warroom.store.tables import OutboxRow
from warroom.testing import Conversation

PAYLOADS = Path(__file__).parent / "data" / "outbox_payloads.json"


@dataclass(frozen=True)
class Deploy:
    service: str


def parse_deploy(cur: Cursor, args: Args) -> Deploy:
    service = cur.word()
    if not service or cur.rest:
        raise UsageError("Which service?", usage="deploy <service>")
    return Deploy(service)


def handle_deploy(cmd: Deploy, ctx: Ctx) -> None:
    ctx.reply(Doc.of(f"deploying {cmd.service}"))


@pytest.fixture
def deploy() -> object:
    entry = Entry(
        ("deploy",), "deploy <service>", "Deploy a service.", (Deploy,), parser=parse_deploy
    )
    REGISTRY.register(entry)
    handlers.register(Deploy, handle_deploy)
    yield entry
    REGISTRY.unregister("deploy")
    del handlers.HANDLERS[Deploy]


@pytest.mark.usefixtures("deploy")
def test_a_registered_command_appears_in_every_derived_table(conv: Conversation) -> None:
    """One entry + its parser + its handler: bang words, parse dispatch, help, handlers."""
    assert "deploy" in bang_commands()
    assert "deploy api" == command_text("!deploy api", names=("warroom",))
    assert Deploy("api") == parse("deploy api")
    assert "deploy <service>" in render_plain(help_doc(None, bot_name="warroom"))
    assert handle_deploy is handlers.handler_for(Deploy("api"))
    handlers.check()
    assert ["[#war-room] bot: deploying api"] == conv.say("!deploy api", user="alice")
    assert any("deploy <service>" in line for line in conv.say("warroom help", user="alice"))
    assert [
        "[#war-room] bot (to @alice): Which service?",
        "[#war-room] bot (to @alice): Usage: `deploy <service>`",
    ] == conv.say("warroom deploy", user="alice")


def test_unregistered_commands_are_gone_again(deploy: object) -> None:
    REGISTRY.unregister("deploy")
    REGISTRY.register(deploy)  # type: ignore[arg-type]
    assert "deploy" in bang_commands()


def test_a_registration_that_shadows_a_command_is_refused() -> None:
    for word in ("incident", "inc", "page", "help", "?"):
        with pytest.raises(Shadowing):
            REGISTRY.register(Entry((word,), f"{word} x", "shadow", (Deploy,), parser=parse_deploy))
    note = type(parse("incident note x"))
    taken = Entry(("mine",), "mine", "takes Note", (note,), parser=parse_deploy)
    with pytest.raises(Shadowing):  # a command type belongs to one command
        REGISTRY.register(taken)
    assert "mine" not in bang_commands()
    assert Deploy not in REGISTRY.command_types()


def test_every_command_type_has_a_handler_and_a_missing_one_is_named() -> None:
    handlers.check()
    registry = Registry()
    registry.register(Entry(("deploy",), "deploy", "d", (Deploy,), parser=parse_deploy))
    with pytest.raises(handlers.MissingHandler, match="Deploy"):
        handlers.check(registry)


def test_todays_outbox_payloads_load_and_dump_the_same() -> None:
    """Rows written by the version before the effect specs: same kinds, same JSON."""
    rows = json.loads(PAYLOADS.read_text(encoding="utf-8"))
    assert {r["kind"] for r in rows} == set(fx.BY_KIND)
    for row in rows:
        effect = fx.load(row["kind"], row["payload"])
        assert (row["kind"], row["payload"]) == fx.dump(effect)


def test_an_unknown_effect_is_refused_and_never_written_as_a_file() -> None:
    with pytest.raises(fx.UnknownEffect, match="fax"):
        fx.load("fax", "{}")

    @dataclass(frozen=True)
    class Fax:
        number: str

    with pytest.raises(TypeError, match="Fax has no effect spec"):
        fx.dump(Fax("1"))  # type: ignore[arg-type]


def test_an_unknown_outbox_kind_is_marked_failed(app: App) -> None:
    with app.sessions.begin() as session:
        (bad,) = outbox.add_many([("shell", "fax", "{}")], app.clock.now(), session=session)
        (good,) = outbox.add_many([("shell", *fx.dump(fx.Direct("bob", Doc.of("hi"))))],
                                  app.clock.now(), session=session)  # fmt: skip
    assert [good] == [d.outbox_id for d in app.pending_effects()]
    with app.sessions() as session:
        row = session.get(OutboxRow, bad)
        assert row is not None
        assert "unknown outbox kind 'fax'" == row.last_error
        assert 1 == row.attempts
        assert row.delivered_at is None


READ_ONLY = [
    "warroom help",
    "warroom help incident",
    "warroom incidents",
    "warroom incidents all",
    "warroom incident tldr",
    "warroom status",
    "warroom status incidents",
    "!ir",
    "!ir who @alice",
    "!ir responders",
    "warroom pager list",
    "warroom roster",
    "warroom top",
    "warroom position",
    "warroom stats",
    "warroom incident bogus",  # a usage error: answered, nothing written
]


def _counts(app: App) -> dict[str, int]:
    engine = app.sessions.kw["bind"]
    names = inspect(engine).get_table_names()
    with engine.connect() as conn:
        return {
            n: conn.execute(select(func.count()).select_from(text(n))).scalar_one() for n in names
        }


@pytest.mark.parametrize("said", READ_ONLY)
def test_read_only_commands_open_no_write_transaction(app: App, said: str) -> None:
    app.handle_message(ChatMessage("shell", "bob", "war-room", "warroom incident start me down"))
    before = _counts(app)
    engine = app.sessions.kw["bind"]
    commits: list[object] = []

    def committed(conn: object) -> None:
        commits.append(conn)

    event.listen(engine, "commit", committed)
    try:
        msg = ChatMessage("shell", "alice", "war-room", said, event_id=f"ev:{said}")
        assert app.handle_message(msg)  # answered
        assert app.handle_message(msg)  # and again: the runtime, not the database, dedups
    finally:
        event.remove(engine, "commit", committed)
    assert [] == commits
    assert before == _counts(app)


def test_a_read_only_event_sent_twice_is_answered_once(conv: Conversation) -> None:
    msg = ChatMessage("shell", "alice", "war-room", "warroom incidents", event_id="e1")
    for _ in range(3):
        conv.loop.run_until_complete(conv.runtime.on_message(msg))
    conv.loop.run_until_complete(conv.runtime.wait_idle())
    assert ["[#war-room] bot: No incidents right now."] == conv.chat.lines(0)
    asyncio.set_event_loop(None)


def test_read_only_commands_commit_nothing_end_to_end(app: App) -> None:
    """Through the runtime too: the status check a `status` promises is answered without a
    write, and nothing is marked delivered because nothing was written."""
    conv = Conversation(app)
    try:
        conv.say("warroom incident start me checkout is down", user="bob")
        engine = app.sessions.kw["bind"]
        commits: list[object] = []

        def committed(conn: object) -> None:
            commits.append(conn)

        event.listen(engine, "commit", committed)
        try:
            for said in READ_ONLY:
                assert conv.say(said, user="alice"), said
        finally:
            event.remove(engine, "commit", committed)
        assert [] == commits
        assert any("Status: UNKNOWN" in line for line in conv.say("warroom status", user="alice"))
    finally:
        conv.close()
