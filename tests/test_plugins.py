"""Command plugins (docs/plugins.md) through scripted conversations: the shipped examples, and
every way a plugin can fail: each gets one clear message to the sender, and nothing else."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from helpers import MakeConversation
from paging_config import with_roster
from plugin_helpers import description, example, write_plugin
from warroom.commands.registry import REGISTRY
from warroom.config import Settings
from warroom.config.plugins import PluginConfig
from warroom.plugins import PluginError, Plugins
from warroom.store import incidents as repo
from warroom.testing import Conversation, FixedClock

Plug = Callable[..., Conversation]
HOSTS: dict[int, Plugins] = {}  # id(conversation) -> its plugin host


@pytest.fixture
def plug(make_conversation: MakeConversation, settings: Settings) -> Iterator[Plug]:
    """`plug(name=PluginConfig, ...)`: a conversation with these plugins loaded and attached."""
    started: list[Plugins] = []

    def make(base: Settings | None = None, **configs: PluginConfig) -> Conversation:
        config = base or settings
        config.plugins.enabled = configs
        conv = make_conversation(settings=config)
        plugins = conv.loop.run_until_complete(Plugins.start(config))
        started.append(plugins)
        plugins.attach(conv.app, conv.runtime, loop=conv.loop)
        HOSTS[id(conv)] = plugins
        return conv

    yield make
    for plugins in started:
        plugins.close()
    HOSTS.clear()


def test_uptime_example_answers_in_the_channel(plug: Plug) -> None:
    """The bash example: `uptime localhost` posts the host's uptime where it was asked."""
    conv = plug(hosts=PluginConfig(command=example("uptime.sh")))
    lines = conv.say("spy uptime localhost", user="alice")
    assert 1 == len(lines), lines
    assert lines[0].startswith("[#war-room] bot: localhost: ")
    assert " up " in lines[0]
    assert "load average" in lines[0]


def test_uptime_example_refuses_a_bad_host_to_the_sender_only(plug: Plug) -> None:
    conv = plug(hosts=PluginConfig(command=example("uptime.sh")))
    lines = conv.say("spy uptime 'rm", user="alice")
    assert ["[#war-room] bot (to @alice): ⚠ 'rm is not a host name."] == lines


def test_uptime_example_asks_other_hosts_through_ssh(plug: Plug, tmp_path: Path) -> None:
    """Hosts other than localhost go through UPTIME_SSH (a fake ssh here), from UPTIME_HOSTS."""
    ssh = tmp_path / "fake-ssh"
    ssh.write_text('#!/bin/sh\n[ "$1" = db1 ] && echo " 10:00 up 3 days" || exit 255\n')
    ssh.chmod(0o755)
    env = {"UPTIME_SSH": str(ssh), "UPTIME_HOSTS": "db1 db2"}
    conv = plug(hosts=PluginConfig(command=example("uptime.sh"), env=env))
    lines = conv.say("spy uptime", user="alice")
    assert [
        "[#war-room] bot: db1: 10:00 up 3 days", "[#war-room] bot: db2: unreachable: no answer"
    ] == lines  # fmt: skip


def test_help_marks_plugin_commands(plug: Plug) -> None:
    conv = plug(hosts=PluginConfig(command=example("uptime.sh")))
    text = "\n".join(conv.say("spy help", user="alice"))
    assert (
        "🧩 `uptime [host...]` — How long each host has been up, and its load. (plugin hosts)"
        in text
    )
    assert "🧩 `incident" not in text


def test_runbooks_example_reads_the_incident_and_notes_it(plug: Plug) -> None:
    """The Python example: the services the incident's summary names get their runbooks, and
    the timeline says so."""
    env = {"RUNBOOKS": "checkout=https://rb.example/checkout,search=https://rb.example/search"}
    conv = plug(runbooks=PluginConfig(command=example("runbooks.py"), env=env))
    conv.say("spy incident start me checkout is down", user="alice")
    lines = conv.say("spy runbook", user="bob")
    assert [
        "[#war-room] bot: Runbooks for INC-1:",
        "[#war-room] bot: 📘 checkout: https://rb.example/checkout",
    ] == lines
    with conv.app.sessions() as session:
        notes = [e for e in repo.timeline(1, session=session) if e.kind.value == "note"]
    assert [("bob", "Runbooks posted: checkout")] == [(e.actor, e.text) for e in notes]


def test_runbooks_example_outside_an_incident_says_why(plug: Plug) -> None:
    env = {"RUNBOOKS": "checkout=https://rb.example/checkout"}
    conv = plug(runbooks=PluginConfig(command=example("runbooks.py"), env=env))
    lines = conv.say("spy runbook", user="bob")
    assert [
        "[#war-room] bot (to @bob): ⚠ Which service? no incident is open here; I know: checkout."
    ] == lines
    lines = conv.say("spy runbook", user="bob", dm=True)
    assert ["[dm @bob] bot: `runbook [service...]` works in a channel.",
            "[dm @bob] bot: Usage: `runbook [service...]`"] == lines  # fmt: skip


def test_announce_example_posts_incident_start_to_another_channel(plug: Plug) -> None:
    """An `incident.started` subscriber, through the outbox: its post lands in #incidents."""
    env = {"ANNOUNCE_CHANNEL": "incidents"}
    conv = plug(announce=PluginConfig(command=example("announce.py"), env=env))
    lines = conv.say("spy incident start me checkout is down", user="alice")
    assert "[#incidents] bot: 🔥 INC-1 started in #war-room: checkout is down (IMOC: alice)" in (
        lines
    )
    lines = conv.say("spy incident stop", user="alice")
    assert "[#incidents] bot: ✅ INC-1 stopped: checkout is down" in lines


def test_event_payload_carries_an_idempotency_key_kept_in_the_outbox(
    plug: Plug, tmp_path: Path
) -> None:
    """At least once: the event's document (and its key) is the outbox row, so a redelivery
    after a crash sends the same key; the row is marked delivered with the outcome."""
    seen = tmp_path / "seen.jsonl"
    body = f"open({str(seen)!r}, 'a').write(json.dumps(doc) + '\\n')\n"
    conv = plug(tap=PluginConfig(command=write_plugin(
        tmp_path, "tap", body, describe=description("tap", events=["incident.started",
                                                                    "incident.note"]))))  # fmt: skip
    conv.say("spy incident start me checkout is down", user="alice")
    conv.say("spy incident note rolled back", user="alice")
    docs = [json.loads(line) for line in seen.read_text().splitlines()]
    assert ["incident.started", "incident.note"] == [d["event"] for d in docs]
    assert "rolled back" == docs[1]["text"]
    assert {"imoc": "alice", "srm": None, "reporter": "alice"} == docs[0]["incident"]["roles"]
    from warroom.store.tables import OutboxRow

    with conv.app.sessions() as session:
        rows = session.query(OutboxRow).filter(OutboxRow.kind == "plugin").all()
        keys = [json.loads(r.payload)["key"] for r in rows]
        assert all(r.delivered_at is not None for r in rows)
    assert sorted(keys) == sorted(d["key"] for d in docs)
    assert len(set(keys)) == 2


def test_a_run_promised_before_a_crash_runs_after_it_with_the_same_key(
    plug: Plug, tmp_path: Path, make_conversation: MakeConversation, clock: FixedClock
) -> None:
    """The command committed its `RunPlugin` row, then the process died before running it
    (here: a runtime with no plugin host). The next process's sweep runs it: same key, and
    the answer is posted once."""
    seen = tmp_path / "seen.jsonl"
    body = f"""
    open({str(seen)!r}, 'a').write(doc['key'] + '\\n')
    say({{'type': 'message', 'text': 'ran'}})
    """
    conv = plug(once=PluginConfig(command=write_plugin(tmp_path, "once", body)))
    conv.runtime.plugin_runner = None  # the crash: promised, never run
    assert [] == conv.say("spy once", user="alice")
    assert not seen.exists()
    later = make_conversation(conv.app)  # its start claimed the row, with no host to run it
    Plugins(HOSTS[id(conv)].loaded).attach(later.app, later.runtime, loop=later.loop)
    clock.advance(seconds=61)  # the claim's lease lapses: the sweep takes the row over
    later.loop.run_until_complete(later.runtime.deliver(later.app.pending_effects()))
    later.loop.run_until_complete(later.runtime.wait_idle())
    assert ["[#war-room] bot: ran"] == later.chat.lines()
    from warroom.store.tables import OutboxRow

    with conv.app.sessions() as session:
        (row,) = session.query(OutboxRow).filter(OutboxRow.kind == "plugin").all()
        assert row.delivered_at is not None
    assert [json.loads(row.payload)["key"]] == seen.read_text().split()
    assert [] == later.app.pending_effects()


def test_page_events_reach_their_subscriber(plug: Plug, tmp_path: Path, settings: Settings) -> None:
    """`page.triggered` when the provider confirmed the page, `page.acknowledged` on the ack."""
    seen = tmp_path / "seen.jsonl"
    body = f"open({str(seen)!r}, 'a').write(json.dumps(doc) + '\\n')\n"
    events = ["page.triggered", "page.acknowledged"]
    tap = PluginConfig(command=write_plugin(tmp_path, "tap", body,
                                            describe=description("tap", events=events)))  # fmt: skip
    conv = plug(with_roster(settings), tap=tap)
    conv.say("!ir page checkout is down", user="daniella")
    conv.say("spy pager ack 1", user="alice")
    docs = [json.loads(line) for line in seen.read_text().splitlines()]
    assert events == [d["event"] for d in docs]
    assert ("builtin", "acknowledged") == (docs[1]["page"]["provider"], docs[1]["page"]["status"])
    assert "INC-1" == docs[0]["incident"]["ref"]


def test_an_alert_reaches_its_subscriber(plug: Plug, tmp_path: Path, settings: Settings) -> None:
    """`alert.received`, from the alert intake (no chat message at all): the subscriber's
    message lands in the channel it names."""
    import asyncio

    from warroom.app.alerts import AlertIn, receive
    from warroom.config.web import AlertRoute

    body = "say({'type': 'message', 'channel': 'noc', 'text': 'alert: ' + doc['alert']['title']})"
    tap = PluginConfig(command=write_plugin(
        tmp_path, "tap", body, describe=description("tap", events=["alert.received"])))  # fmt: skip
    routed = with_roster(settings)
    routed.alerts.routes = [AlertRoute(match={"team": "datastores"}, team="datastores")]
    conv = plug(routed, tap=tap)
    alert = AlertIn("alertmanager", "g1", "firing", "disk full on db1", {"team": "datastores"})
    receive(conv.app, alert, token="am", platform="shell")
    deadline = time.monotonic() + 10
    while "[#noc] bot: alert: disk full on db1" not in conv.chat.lines():
        assert time.monotonic() < deadline, conv.chat.lines()
        conv.loop.run_until_complete(asyncio.sleep(0.05))
    conv.loop.run_until_complete(conv.runtime.wait_idle())


def test_an_event_never_holds_up_the_command(plug: Plug, tmp_path: Path) -> None:
    """A slow subscriber: the command's reply is out before the plugin has finished."""
    conv = plug(slow=PluginConfig(command=write_plugin(
        tmp_path, "slow", "time.sleep(1.5)", describe=description("slow",
                                                                  events=["incident.started"]))))  # fmt: skip
    from warroom.ports import ChatMessage

    msg = ChatMessage(platform="shell", user="alice", channel="war-room",
                      text="spy incident start me db down", is_dm=False, ref="r1")  # fmt: skip
    start = time.monotonic()
    conv.loop.run_until_complete(conv.runtime.on_message(msg))
    took = time.monotonic() - start
    assert took < 1.0
    assert any("is IMOC" in line for line in conv.chat.lines())
    conv.loop.run_until_complete(conv.runtime.wait_idle())


def test_a_slow_plugin_times_out_and_the_sender_is_told(plug: Plug, tmp_path: Path) -> None:
    conv = plug(slow=PluginConfig(command=write_plugin(tmp_path, "slow", "time.sleep(30)"),
                                  timeout=0.5))  # fmt: skip
    start = time.monotonic()
    lines = conv.say("spy slow", user="alice")
    assert time.monotonic() - start < 5
    assert ["[#war-room] bot (to @alice): ⚠ `slow` (plugin slow) did not answer within 0.5s."] == (
        lines
    )


def _dead(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")  # a zombie no one reaped yet


def test_a_plugin_that_forks_and_hangs_dies_with_its_children(plug: Plug, tmp_path: Path) -> None:
    """The child holds stdout open and sleeps: the timeout kills the whole process group."""
    pids = tmp_path / "pids"
    body = f"""
    child = subprocess.Popen(['sleep', '300'])
    open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}')
    say({{'type': 'message', 'text': 'forked'}})
    time.sleep(300)
    """
    conv = plug(forky=PluginConfig(command=write_plugin(tmp_path, "forky", body), timeout=1))
    lines = conv.say("spy forky", user="alice")
    assert ["[#war-room] bot (to @alice): ⚠ `forky` (plugin forky) did not answer within 1s."] == (
        lines
    )
    parent, child = (int(p) for p in pids.read_text().split())
    deadline = time.monotonic() + 5
    while not (_dead(parent) and _dead(child)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _dead(parent)
    assert _dead(child)


def test_a_child_left_behind_after_a_clean_exit_is_killed(plug: Plug, tmp_path: Path) -> None:
    """The plugin answers and exits, leaving a child that closed its output: the answer
    counts, and the child dies with the group."""
    pids = tmp_path / "pids"
    body = f"""
    child = subprocess.Popen(['sleep', '300'], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    open({str(pids)!r}, 'w').write(str(child.pid))
    say({{'type': 'message', 'text': 'done'}})
    """
    conv = plug(leaver=PluginConfig(command=write_plugin(tmp_path, "leaver", body)))
    assert ["[#war-room] bot: done"] == conv.say("spy leaver", user="alice")
    child = int(pids.read_text())
    deadline = time.monotonic() + 5
    while not _dead(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _dead(child)


def test_a_crashing_plugin_gets_one_message_and_changes_nothing(plug: Plug, tmp_path: Path) -> None:
    body = """
    say({'type': 'note', 'text': 'half done'})
    say({'type': 'message', 'text': 'half done'})
    sys.stderr.write('Traceback: boom\\n')
    sys.exit(3)
    """
    conv = plug(crash=PluginConfig(command=write_plugin(tmp_path, "crash", body)))
    conv.say("spy incident start me checkout is down", user="alice")
    lines = conv.say("spy crash", user="alice")
    assert ["[#war-room] bot (to @alice): ⚠ `crash` (plugin crash) failed (exit status 3)."] == (
        lines
    )
    with conv.app.sessions() as session:
        assert [] == [e for e in repo.timeline(1, session=session) if e.kind.value == "note"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("print('hello there')", "output line 1 is not JSON"),
        ("say({'type': 'message'})", "output line 1: text: Field required"),
        ("say({'type': 'shout', 'text': 'x'})", "output line 1: "),
        (
            "say({'type': 'message', 'text': 'x', 'channel': '<!here>'})",
            "output line 1: channel: a channel or user name",
        ),
        ("say([1, 2])", "output line 1: "),
    ],
)
def test_garbage_output_is_refused_whole(
    plug: Plug, tmp_path: Path, body: str, reason: str
) -> None:
    conv = plug(junk=PluginConfig(command=write_plugin(
        tmp_path, "junk", "say({'type': 'message', 'text': 'fine'})\n" + body)))  # fmt: skip
    lines = conv.say("spy junk", user="alice")
    assert 1 == len(lines), lines
    prefix = "[#war-room] bot (to @alice): ⚠ `junk` (plugin junk) gave invalid output ("
    assert lines[0].startswith(prefix + reason.replace("output line 1", "output line 2"))


def test_huge_output_is_cut_off_and_refused(plug: Plug, tmp_path: Path) -> None:
    body = "sys.stdout.write('x' * 10_000_000)\ntime.sleep(30)"
    conv = plug(huge=PluginConfig(command=write_plugin(tmp_path, "huge", body), timeout=20))
    start = time.monotonic()
    lines = conv.say("spy huge", user="alice")
    assert time.monotonic() - start < 10  # stopped at the cap, not at the timeout
    assert ["[#war-room] bot (to @alice): ⚠ `huge` (plugin huge) wrote more than 65536 bytes."] == (
        lines
    )


def test_an_error_line_goes_to_the_sender_and_nothing_else_happens(
    plug: Plug, tmp_path: Path
) -> None:
    body = """
    say({'type': 'message', 'text': 'posted?'})
    say({'type': 'error', 'text': 'No such deploy: 99.'})
    """
    conv = plug(deploys=PluginConfig(command=write_plugin(tmp_path, "deploys", body)))
    assert ["[#war-room] bot (to @alice): ⚠ No such deploy: 99."] == conv.say(
        "spy deploys 99", user="alice"
    )


def test_messages_go_to_channels_threads_and_dms(plug: Plug, tmp_path: Path) -> None:
    body = """
    say({'type': 'message', 'text': 'here: ' + ' '.join(doc['args'])})
    say({'type': 'message', 'text': 'elsewhere', 'channel': 'ops'})
    say({'type': 'message', 'text': 'psst', 'dm': 'carol'})
    say({'type': 'message', 'text': 'threaded', 'thread': True})
    """
    conv = plug(post=PluginConfig(command=write_plugin(tmp_path, "post", body)))
    lines = conv.say("spy post a b", user="alice")
    assert "[#war-room] bot: here: a b" in lines
    assert "[#ops] bot: elsewhere" in lines
    assert "[dm @carol] bot: psst" in lines
    assert "[#war-room] bot (thread): threaded" in lines  # on the command's message


def test_the_document_names_who_where_and_the_incident(plug: Plug, tmp_path: Path) -> None:
    seen = tmp_path / "doc.json"
    conv_settings_link = "https://warroom.example/incidents/{id}"
    body = f"open({str(seen)!r}, 'w').write(json.dumps(doc))"
    conv = plug(peek=PluginConfig(command=write_plugin(tmp_path, "peek", body)))
    conv.app.settings.plugins.incident_link = conv_settings_link
    conv.say("spy incident start me checkout is down", user="alice")
    conv.say("spy incident srm @bob", user="alice")
    conv.say("spy peek one  two", user="carol")
    doc = json.loads(seen.read_text())
    assert ("command", "peek", ["one", "two"], "one  two", "carol") == (
        doc["type"], doc["command"], doc["args"], doc["text"], doc["who"]
    )  # fmt: skip
    assert {"platform": "shell", "channel": "war-room", "thread": None, "dm": False} == doc["where"]
    incident = doc["incident"]
    assert ("INC-1", "checkout is down", "bob") == (
        incident["ref"], incident["summary"], incident["roles"]["srm"]
    )  # fmt: skip
    assert "https://warroom.example/incidents/1" == incident["link"]
    assert incident["milestones"]["started"] is not None
    assert doc["key"].startswith("peek-")


def test_the_environment_is_only_what_the_config_lists(
    plug: Plug, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret")
    monkeypatch.setenv("DEPLOY_API_KEY", "k-123")
    monkeypatch.setenv("UNRELATED", "nope")
    body = "say({'type': 'message', 'text': ' '.join(sorted(f'{k}={v}' for k, v in os.environ.items() if k not in ('PWD', 'SHLVL', '_', 'LC_CTYPE')))})"
    config = PluginConfig(
        command=write_plugin(tmp_path, "envy", body), env={"REGION": "eu"},
        secrets=["DEPLOY_API_KEY"],
    )  # fmt: skip
    conv = plug(envy=config)
    lines = conv.say("spy envy", user="alice")
    assert [
        "[#war-room] bot: DEPLOY_API_KEY=k-123 PATH=/usr/local/bin:/usr/bin:/bin REGION=eu"
    ] == lines


def test_warrooms_own_tokens_are_refused_as_plugin_secrets() -> None:
    with pytest.raises(ValueError, match="SLACK_BOT_TOKEN is one of warroom's own tokens"):
        PluginConfig(command=["x"], secrets=["SLACK_BOT_TOKEN"])


def test_a_plugin_asking_for_an_existing_command_is_refused_at_start(
    settings: Settings, tmp_path: Path
) -> None:
    before = REGISTRY.version, len(REGISTRY.entries())
    settings.plugins.enabled = {
        "fine": PluginConfig(command=write_plugin(tmp_path, "fine", "pass")),
        "greedy": PluginConfig(command=write_plugin(
            tmp_path, "greedy", "pass", describe=description("greedy", "incident"))),
    }  # fmt: skip
    import asyncio

    with pytest.raises(PluginError, match="plugin greedy: the command `incident` exists already"):
        asyncio.run(Plugins.start(settings))
    assert REGISTRY.word("fine") is None  # nothing of any plugin stays
    assert before[1] == len(REGISTRY.entries())


def test_a_plugin_missing_at_start_stops_the_start_unless_optional(
    settings: Settings, tmp_path: Path
) -> None:
    import asyncio

    missing = str(tmp_path / "nope.sh")
    settings.plugins.enabled = {"gone": PluginConfig(command=[missing])}
    with pytest.raises(PluginError, match=f"plugin gone: `describe` {missing} was not found"):
        asyncio.run(Plugins.start(settings))
    settings.plugins.enabled = {"gone": PluginConfig(command=[missing], optional=True)}
    plugins = asyncio.run(Plugins.start(settings))
    assert [] == plugins.loaded


@pytest.mark.parametrize(
    ("describe", "reason"),
    [
        ("not json", "`describe` did not print a JSON document"),
        ({"name": "bad", "contract": 2}, "bad description: contract: contract 2 is not supported"),
        ({"name": "other", "contract": 1}, "it calls itself 'other'"),
        ({"name": "bad", "contract": 1, "events": ["incident.exploded"]},
         "bad description: events: unknown event 'incident.exploded'"),
        ({"name": "bad", "contract": 1, "commands": [{"words": ["Bad Word"], "usage": "u",
                                                      "help": "h"}]},
         "bad description: commands.0.words: 'Bad Word' is not a command word"),
        ({"name": "bad", "contract": 1, "extra": True}, "bad description: extra: Extra inputs"),
    ],
)  # fmt: skip
def test_a_bad_description_is_refused_with_the_reason(
    settings: Settings, tmp_path: Path, describe: object, reason: str
) -> None:
    import asyncio

    settings.plugins.enabled = {
        "bad": PluginConfig(command=write_plugin(tmp_path, "bad", "pass", describe=describe))  # type: ignore[arg-type]
    }
    with pytest.raises(PluginError) as caught:
        asyncio.run(Plugins.start(settings))
    assert str(caught.value).startswith(f"plugin bad: {reason}")


def test_the_concurrency_cap_refuses_a_command_and_queues_an_event(
    settings: Settings, tmp_path: Path
) -> None:
    import asyncio

    config = PluginConfig(command=write_plugin(tmp_path, "one", "time.sleep(0.5)"),
                          concurrency=1)  # fmt: skip
    settings.plugins.enabled = {"one": config}

    async def main() -> tuple[str | None, str | None, str | None]:
        plugins = await Plugins.start(settings)
        try:
            plugin = plugins.by_name["one"]
            first = asyncio.ensure_future(plugin.call({}, wait=False))
            await asyncio.sleep(0.1)
            refused = await plugin.call({}, wait=False)
            queued = await plugin.call({}, wait=True)
            return (await first).failure, refused.failure, queued.failure
        finally:
            plugins.close()

    assert (None, "is busy (1 runs at once); try again", None) == asyncio.run(main())


def test_a_container_plugin_runs_through_the_configured_runtime(
    plug: Plug, tmp_path: Path, settings: Settings
) -> None:
    """Docker has no engine here: a fake `docker` records its arguments and runs the example
    the image stands for, with the variables its `-e` flags name."""
    record = tmp_path / "docker-args"
    fake = tmp_path / "fake-docker"
    fake.write_text(
        f'#!/bin/sh\necho "$@" >> {record}\n'
        'while [ $# -gt 0 ] && [ "$1" != example/uptime:1 ]; do shift; done\nshift\n'
        f'exec {example("uptime.sh")[0]} "$@"\n'
    )
    fake.chmod(0o755)
    settings.plugins.container = [str(fake), "run", "--rm", "-i"]
    conv = plug(hosts=PluginConfig(image="example/uptime:1", env={"UPTIME_HOSTS": "localhost"}))
    lines = conv.say("spy uptime", user="alice")
    assert lines[0].startswith("[#war-room] bot: localhost: "), lines
    calls = record.read_text().splitlines()
    assert ["run --rm -i -e UPTIME_HOSTS example/uptime:1 describe",
            "run --rm -i -e UPTIME_HOSTS example/uptime:1"] == calls  # fmt: skip
