"""The grammar: what users type becomes a typed command, or a usage error and nothing else."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warroom.commands import types as t
from warroom.commands.addressing import command_text
from warroom.commands.grammar import parse
from warroom.core.incident import is_broadcast
from warroom.core.timeref import Ago, ClockTime, Now


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("incident start me checkout is down", t.StartIncident(t.Me(), "checkout is down")),
        (
            "incident start @hormoz App store is down",
            t.StartIncident("hormoz", "App store is down"),
        ),
        ("incident start <@U123ABC> api 500s", t.StartIncident("U123ABC", "api 500s")),
        ("incident start checkout is down", t.StartIncident(t.Me(), "checkout is down")),
        ("incident channel #ops", t.Rebind("ops")),
        ("incident channel <#C42|ops>", t.Rebind("C42")),
        ("incident imoc @bob", t.SetImoc("bob", handoff=False)),
        ("incident handoff @bob", t.SetImoc("bob", handoff=True)),
        ("incident srm me", t.SetSrm(t.Me())),
        ("incident failures started", t.Milestone("failures_started", Now())),
        ("incident failures started 14:05 UTC", t.Milestone("failures_started", ClockTime(14, 5))),
        ("incident mitigated 10m ago", t.Milestone("mitigated", Ago(600))),
        ("incident note db   is back", t.Note("db   is back")),
        ("incident tldr", t.Tldr()),
        ("incident tldr 12", t.Tldr(12)),
        ("incident 12 tldr", t.Tldr(12)),
        ("incident INC-12 note late", t.Note("late", 12)),
        ("incident tell support 502s on storefront", t.Tell("support", "502s on storefront")),
        ("incident stop", t.Stop()),
        ("incident stop 7", t.Stop(7)),
        ("incident report 7", t.Report(7)),
        ("incidents", t.ListIncidents(all=False)),
        ("incidents all", t.ListIncidents(all=True)),
        ("help", t.Help(())),
        ("help incident start", t.Help(("incident", "start"))),
        ("INCIDENT TLDR", t.Tldr()),
    ],
)
def test_commands_users_type(typed: str, command: t.Command) -> None:
    assert command == parse(typed)


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("incident", "Which incident command?"),
        ("incident start", "Give a summary"),
        ("incident start me", "Give a summary"),
        ("incident handoff", "To whom?"),
        ("incident handoff bob", "not a user"),
        ("incident channel ops", "not a channel"),
        ("incident failures", "failures started"),
        ("incident mitigated yesterday", "can't read"),
        ("incident note", "needs some text"),
        ("incident tell", "Which team?"),
        ("incident tell support", "Give a message"),
        ("incident stop now please", "takes only an incident ID"),
        ("incident 3 start x", "no ID"),
        ("incident frobnicate", "is not a command"),
        ("incidents some", "takes only `all`"),
        ("help frobnicate", "no command"),
        ("frobnicate", "don't know the command"),
    ],
)
def test_bad_input_is_a_usage_error_that_says_what_is_wrong(typed: str, says: str) -> None:
    with pytest.raises(t.UsageError) as caught:
        parse(typed)
    assert says in caught.value.message


@settings(max_examples=500)
@given(st.text())
def test_any_text_parses_or_raises_only_a_usage_error(text: str) -> None:
    with contextlib.suppress(t.UsageError):
        parse(text)


words = st.sampled_from(
    ["incident", "start", "me", "@bob", "#ops", "note", "failures", "started", "mitigated",
     "tldr", "stop", "report", "tell", "support", "handoff", "imoc", "srm", "channel", "12",
     "INC-3", "10m", "ago", "14:05", "UTC", "incidents", "all", "help", "<@U1>", "<#C1|x>", ""]
)  # fmt: skip


@settings(max_examples=1000)
@given(st.lists(words | st.text(max_size=8), max_size=8))
def test_command_like_text_parses_or_raises_only_a_usage_error(parts: list[str]) -> None:
    with contextlib.suppress(t.UsageError):
        parse(" ".join(parts))


@pytest.mark.parametrize(
    ("typed", "kwargs", "expected"),
    [
        ("warroom incident tldr", {}, "incident tldr"),
        ("spy incident tldr", {}, "incident tldr"),
        ("Spy: incident tldr", {}, "incident tldr"),
        ("@warroom incident tldr", {}, "incident tldr"),
        ("!incident tldr", {}, "incident tldr"),
        ("!deploy now", {}, None),  # another bot's command
        ("the spy incident", {}, None),
        ("checkout is broken again", {}, None),
        ("incident tldr", {"is_dm": True}, "incident tldr"),
        ("spy incident tldr", {"is_dm": True}, "incident tldr"),
        ("incident tldr", {"mentioned": True}, "incident tldr"),
    ],
)
def test_addressing(typed: str, kwargs: dict[str, bool], expected: str | None) -> None:
    assert expected == command_text(typed, names=["warroom", "spy"], **kwargs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ir", t.ShowOnCall()),
        ("oncall", t.ShowOnCall()),
        ("ir responders", t.ShowOnCall(responders=True)),
        ("ir who @bob", t.Who("bob")),
        ("ir who bob@example.com", t.Who("bob@example.com")),
        ("ir page", t.PageSomeone("commanders", "", war_room=True)),
        (
            "ir page checkout is down",
            t.PageSomeone("commanders", "checkout is down", war_room=True),
        ),
        ("ir page responders all hands", t.PageSomeone("responders", "all hands", war_room=True)),
        ("ir page @alice come", t.PageSomeone("person", "come", name="alice")),
        ('page imoc "order notifications"', t.PageSomeone("commanders", "order notifications")),
        ("page datastores “disk full”", t.PageSomeone("team", "disk full", name="datastores")),
        ("page @bob hi", t.PageSomeone("person", "hi", name="bob")),
        ("pager ack 3", t.PagerUpdate("acknowledge", 3)),
        ("pager imoc res 123", t.PagerUpdate("resolve", 123, "imoc")),
        ("pager list", t.PagerList()),
        ("pager stfu", t.Snooze(3600)),
        ("pager stfu 30m", t.Snooze(1800)),
        ("pager unstfu", t.Snooze(None)),
    ],
)
def test_paging_commands(text: str, expected: t.Command) -> None:
    assert expected == parse(text)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("pager ack", "Which page?"),
        ("pager ack x", "Which page?"),
        ("pager frobnicate", "`pager frobnicate` is not a command."),
        ("pager stfu soon", "`soon` is not a duration"),
        ("ir who", "Who? Name a person."),
        ("ir bogus", "`ir bogus` is not a command."),
    ],
)
def test_paging_usage_errors(text: str, says: str) -> None:
    with pytest.raises(t.UsageError) as caught:
        parse(text)
    assert caught.value.message.startswith(says)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("status stalk 100d", "`100d` is too long: at most 1 day."),
        ("status stalk 2d", "`2d` is too long: at most 1 day."),
        ("pager stfu 99999d", "`99999d` is too long: at most 7 days."),
        ("pager stfu 99999999999999999999", "`99999999999999999999` is too long: at most 7 days."),
        ("pager stfu 8 days", "`8 days` is too long: at most 7 days."),
        ("status stalk soon", "`soon` is not an interval like `30s` or `2m`."),
        ("status stalk 0s", "`0s` is not an interval like `30s` or `2m`."),
        ("incident 99999999999999999999 tldr", "There is no incident INC-99999999999999999999."),
        ("incident tldr inc-12345678901", "There is no incident INC-12345678901."),
    ],
)
def test_limits_say_the_maximum_and_unknown_ids(text: str, says: str) -> None:
    """Too long is not "not a duration": the answer gives the maximum; an ID no incident can
    have is unknown, not a subcommand."""
    with pytest.raises(t.UsageError) as caught:
        parse(text)
    assert says == caught.value.message


def test_limits_at_the_maximum_are_accepted() -> None:
    assert t.Stalk(86400) == parse("status stalk 1d")
    assert t.Snooze(7 * 86400) == parse("pager stfu 7d")


@pytest.mark.parametrize("typed", ["<!here>", "<!channel>", "<!everyone>", "<!here|here>"])
def test_a_broadcast_as_a_user_reaches_the_core_as_a_broadcast(typed: str) -> None:
    """`<!here>` (what Slack sends for @here) is read as @here, which the core refuses as no
    person, with its own message."""
    command = parse(f"incident imoc {typed}")
    assert isinstance(command, t.SetImoc)
    assert isinstance(command.user, str)
    assert is_broadcast(command.user)


def test_spy_page_alone_pages_the_imoc() -> None:
    """Seed 002: 'spy page' to alert the IMOC, as `page imoc` does."""
    assert parse("page imoc") == parse("page")
    assert t.PageSomeone("commanders", "") == command_text_parse("spy page")


def command_text_parse(text: str) -> t.Command:
    found = command_text(text, names=("spy",))
    assert found is not None
    return parse(found)
