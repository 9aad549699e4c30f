"""`!ir`, `!ir page`, `page` and `pager` on the builtin roster, as chat conversations."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from helpers import MakeConversation
from paging_config import with_roster
from warroom.config import Settings
from warroom.ports import Pager
from warroom.testing import Conversation, FixedClock

MakeConv = Callable[..., Conversation]


def by_place(lines: list[str]) -> list[str]:
    """Lines grouped by where they happened, each place's lines in their order. Places are
    delivered in parallel (a page's DMs may arrive before the war room's posts), in order
    within each."""
    return sorted(lines, key=lambda text: text.split("]", 1)[0])


@pytest.fixture
def make_conv(settings: Settings, make_conversation: MakeConversation) -> MakeConv:
    """Conversations on the test roster; keyword arguments change `oncall.commanders`."""

    def make(pagers: Mapping[str, Pager] | None = None, **commanders: Any) -> Conversation:
        return make_conversation(settings=with_roster(settings, **commanders), pagers=pagers)

    return make


@pytest.fixture
def roster(make_conv: MakeConv) -> Conversation:
    return make_conv()


def test_ir_lists_the_commanders_with_phones_and_how_to_page(roster: Conversation) -> None:
    """The seed's `!ir`: primary, backup, trainees, phone numbers, and how to page them."""
    assert [
        "[#war-room] bot: 🚨 Incident commanders on call:",
        "[#war-room] bot: Primary: Alice Archer (@alice) +1 555 0100",
        "[#war-room] bot: Backup: Bob Baker (@bob) +1 555 0101",
        "[#war-room] bot: Trainee: Erin Evans (@erin) +1 555 0104",
        "[#war-room] bot: To page them: `!ir page <what is broken>` (pages them, opens a war room "
        'and an incident) or `page imoc "<message>"`.',
    ] == roster.say("!ir", user="zoe")
    assert roster.say("spy oncall", user="zoe") == roster.say("!ir", user="zoe")


def test_the_rotation_turns_weekly(roster: Conversation, clock: FixedClock) -> None:
    clock.advance(days=7)
    lines = roster.say("!ir", user="zoe")
    assert "[#war-room] bot: Primary: Bob Baker (@bob) +1 555 0101" == lines[1]
    assert "[#war-room] bot: Backup: Alice Archer (@alice) +1 555 0100" == lines[2]


def test_ir_page_opens_a_war_room_with_an_incident_and_pages_by_dm(
    roster: Conversation,
) -> None:
    """`!ir page`: a war-room channel with the paged people invited, an incident bound to it
    with the primary as IMOC, a DM to each commander, and the links where it was typed."""
    lines = by_place(roster.say("!ir page checkout is down", user="daniella"))
    assert (
        by_place(
            [
                "[#ir-20170223-2242] channel created",
                "[#ir-20170223-2242] invited @daniella, @alice, @bob, @erin",
                "[#ir-20170223-2242] bot: 🔥 An incident was reported at 2017-02-23 22:42:36 UTC. "
                "@alice is the IMOC. (INC-1)",
                "[#ir-20170223-2242] bot: Status summary: checkout is down",
                "[#ir-20170223-2242] bot: Incident was bound to #ir-20170223-2242. Please use "
                "#ir-20170223-2242 for communications, or rebind the incident with `incident channel ...`.",
                "[#ir-20170223-2242] topic: 🔥 @alice is IMOC for incident: checkout is down",
                "[#war-room] bot: 🔥 War room: #ir-20170223-2242 (INC-1).",
                "[#war-room] bot: 📟 Paging the incident commanders (@alice, @bob, @erin) via the builtin "
                "roster: page #1.",
                "[dm @alice] bot: 📟 You are paged: checkout is down",
                "[dm @alice] bot: Join the war room #ir-20170223-2242; `pager list` shows the "
                "open pages.",
                "[dm @bob] bot: 📟 You are paged: checkout is down",
                "[dm @bob] bot: Join the war room #ir-20170223-2242; `pager list` shows the "
                "open pages.",
                "[dm @erin] bot: 📟 You are paged: checkout is down",
                "[dm @erin] bot: Join the war room #ir-20170223-2242; `pager list` shows the "
                "open pages.",
            ]
        )
        == lines
    )
    tldr = roster.say("spy incident tldr", user="alice", channel="ir-20170223-2242")
    assert (
        "[#ir-20170223-2242] bot: 2017-02-23 22:42:36 UTC: @daniella: Paged the incident "
        "commanders via the builtin roster (page #1)" in tldr
    )
    assert (
        "[#ir-20170223-2242] bot: 2017-02-23 22:42:36 UTC: @daniella: Page #1 (the incident "
        "commanders) reached the builtin roster" in tldr
    )
    assert [
        "[#war-room] bot: 📟 1 open:",
        "[#war-room] bot: #1 the incident commanders via the builtin roster — checkout is down — "
        "INC-1, triggered, 0s ago, by @daniella",
        "[#war-room] bot: Acknowledge or resolve: `pager ack <page>`, `pager res <page>`.",
    ] == roster.say("spy pager list", user="zoe")


def test_paging_again_in_the_same_incident_sends_no_second_alert(roster: Conversation) -> None:
    """One alert per (incident, target): a second `!ir page` from the war room is told so."""
    roster.say("!ir page checkout is down", user="daniella")
    again = roster.say("!ir page still down", user="bob", channel="ir-20170223-2242")
    assert [
        "[#ir-20170223-2242] bot: 📟 the incident commanders are paged already for INC-1: "
        "page #1, triggered."
    ] == again


def test_ir_page_in_an_incident_channel_pages_for_that_incident(roster: Conversation) -> None:
    roster.say("spy incident start me search is slow", user="daniella")
    lines = roster.say("!ir page", user="daniella")
    assert (
        "[#war-room] bot: 📟 Paging the incident commanders (@alice, @bob, @erin) via the "
        "builtin roster: page #1." in lines
    )
    assert not any("channel created" in line for line in lines)
    assert "[dm @alice] bot: 📟 You are paged: Paged by @daniella from #war-room" in lines


def test_ack_and_resolve_a_page_as_in_the_seed(roster: Conversation) -> None:
    """`pager ack 1`, `pager imoc res 1` (seed: `spy pager imoc res 123`), on the timeline."""
    roster.say("!ir page checkout is down", user="daniella")
    assert [
        "[#war-room] bot: Acknowledging page #1 (the incident commanders) in the builtin roster…",
        "[#war-room] bot: ✅ Page #1 (the incident commanders) acknowledged in the builtin roster.",
        "[#ir-20170223-2242] bot: ✅ Page #1 (the incident commanders) acknowledged in the "
        "builtin roster.",
    ] == roster.say("spy pager ack 1", user="alice")
    assert [
        "[#war-room] bot (to @alice): Page #1 is for the incident commanders, not datastores."
    ] == roster.say("spy pager datastores res 1", user="alice")
    resolved = roster.say("spy pager imoc res 1", user="alice")
    assert (
        "[#war-room] bot: ✅ Page #1 (the incident commanders) resolved in the builtin roster."
        in resolved
    )
    assert ["[#war-room] bot: No open pages."] == roster.say("spy pager list", user="alice")
    assert ["[#war-room] bot (to @alice): Page #1 is resolved already."] == roster.say(
        "spy pager res 1", user="alice"
    )
    assert [
        "[#war-room] bot (to @alice): There is no page #9. Open pages: `pager list`."
    ] == roster.say("spy pager ack 9", user="alice")
    report = roster.say("spy incident report", user="alice", channel="ir-20170223-2242")
    assert any("acknowledged in the builtin roster" in line for line in report)
    assert any("resolved in the builtin roster" in line for line in report)


def test_page_a_team_or_a_person(roster: Conversation, clock: FixedClock) -> None:
    """`page <team> "..."` and `!ir page @user ...` page without opening a war room."""
    assert by_place(
        [
            "[#general] bot: 📟 Paging datastores (@carol) via the builtin roster: page #1.",
            "[dm @carol] bot: 📟 You are paged: order notifications not going out",
            "[dm @carol] bot: `pager list` shows the open pages; `pager ack <page>` acknowledges.",
        ]
    ) == by_place(
        roster.say(
            'spy page datastores "order notifications not going out"', user="d", channel="general"
        )
    )
    assert by_place(
        [
            "[#general] bot: 📟 Paging @bob via the builtin roster: page #2.",
            "[dm @bob] bot: 📟 You are paged: come to #general",
            "[dm @bob] bot: `pager list` shows the open pages; `pager ack <page>` acknowledges.",
        ]
    ) == by_place(roster.say("!ir page @bob come to #general", user="d", channel="general"))
    assert "[#general] bot: 📟 Paging @carol via the builtin roster: page #3." in roster.say(
        "!ir page carol the db", user="d", channel="general"
    )
    imoc = roster.say('spy page imoc "checkout is down"', user="d", channel="general")
    assert any(
        line.startswith("[#general] bot: 📟 Paging the incident commanders (@alice")
        for line in imoc
    )
    clock.set(clock.now().replace(day=24, hour=1))  # the override: dave, who has no phone
    assert "[#general] bot: 📟 Paging datastores (@dave) via the builtin roster: page #5." in (
        roster.say("spy page datastores disk full", user="d", channel="general")
    )


def test_unknown_teams_and_people_get_the_list_of_known_ones(roster: Conversation) -> None:
    assert [
        "[#war-room] bot (to @d): I can't page `marketing`. Teams with an on-call schedule: "
        "imoc, datastores."
    ] == roster.say("spy page marketing hello", user="d")
    assert [
        "[#war-room] bot (to @d): I can't page `support`. Teams with an on-call schedule: "
        "imoc, datastores."
    ] == roster.say("spy page support hello", user="d")
    assert [
        "[#war-room] bot (to @d): I don't know `zed`. People: alice, bob, carol, dave, erin."
    ] == roster.say("!ir who zed", user="d")
    assert [
        "[#war-room] bot (to @d): I don't know `zed`. People: alice, bob, carol, dave, erin."
    ] == roster.say("!ir page @zed help", user="d")


def test_responders_and_who(roster: Conversation) -> None:
    assert [
        "[#war-room] bot: 📟 On call now:",
        "[#war-room] bot: datastores: Carol Chen (@carol) +1 555 0102",
    ] == roster.say("!ir responders", user="d")
    assert [
        "[#war-room] bot: Bob Baker (@bob) +1 555 0101",
        "[#war-room] bot: E-mail bob@example.com, time zone Europe/Berlin (23:42 there).",
        "[#war-room] bot: On call now: incident commander (backup).",
        "[#war-room] bot: To page them: `!ir page @bob <message>`.",
    ] == roster.say("!ir who @bob", user="d")
    assert (
        "[#war-room] bot: Dave Diaz (@dave) (no phone number)"
        == roster.say("!ir who dave@example.com", user="d")[0]
    )


def test_ir_page_responders_pages_every_team(roster: Conversation) -> None:
    lines = roster.say("!ir page responders all hands", user="d")
    assert "[#war-room] bot: 🔥 War room: #ir-20170223-2242 (INC-1)." in lines
    assert (
        "[#war-room] bot: 📟 Paging datastores (@carol) via the builtin roster: page #1." in lines
    )
    assert "[dm @carol] bot: 📟 You are paged: all hands" in lines


def test_stfu_is_stored_and_ends(roster: Conversation, clock: FixedClock) -> None:
    """`pager stfu` (default 1h) is what reminders and rotation pings consult."""
    assert [
        "[#war-room] bot: 🤫 @alice, I won't ping you (reminders, rotation pings) until "
        "2017-02-23 23:42:36 UTC (1h 00m). Pages still reach you. `pager unstfu` ends it."
    ] == roster.say("spy pager stfu", user="alice")
    assert roster.app.is_snoozed("shell", "alice")
    assert not roster.app.is_snoozed("shell", "bob")
    clock.advance(hours=1)
    assert not roster.app.is_snoozed("shell", "alice")
    roster.say("spy pager stfu 2d", user="alice")
    assert roster.app.is_snoozed("shell", "alice")
    assert ["[#war-room] bot: 🔔 @alice, I may ping you again."] == roster.say(
        "spy pager unstfu", user="alice"
    )
    assert not roster.app.is_snoozed("shell", "alice")
    assert roster.say("spy pager stfu forever", user="alice")[0].startswith(
        "[#war-room] bot (to @alice): `forever` is not a duration"
    )


def test_a_provider_that_is_not_set_up_fails_the_page_with_phone_numbers(
    make_conv: MakeConv,
) -> None:
    """Commanders on Opsgenie with no key: the page fails at once (a missing key does not
    get better by trying again). Nothing from Opsgenie is cached, so the phones shown are the
    roster's, said as such."""
    conv = make_conv(provider="opsgenie", primary="IMOC", backup=None, trainees=[])
    lines = conv.say('spy page imoc "checkout is down"', user="d")
    assert [
        "[#war-room] bot: 📟 Paging the incident commanders (nobody on call) via Opsgenie: page #1.",
        "[#war-room] bot: ⚠ Could not page the incident commanders via Opsgenie (opsgenie is not "
        "set up: its API key is missing), page #1.",
        "[#war-room] bot: Nothing from Opsgenie is cached, so I don't know who is on call; people "
        "with a phone in `oncall.people`: Alice Archer (@alice) +1 555 0100, Bob Baker (@bob) "
        "+1 555 0101, Carol Chen (@carol) +1 555 0102, Erin Evans (@erin) +1 555 0104",
    ] == lines
    assert [
        "[#war-room] bot: 🚨 Incident commanders on call:",
        "[#war-room] bot: Primary: nobody",
        "[#war-room] bot: ⚠ Opsgenie did not answer (not fetched yet) and nothing is cached.",
        "[#war-room] bot: To page them: `!ir page <what is broken>` (pages them, opens a war room "
        'and an incident) or `page imoc "<message>"`.',
    ] == conv.say("!ir", user="d")


def test_the_shipped_example_pages_with_no_account_anywhere(
    clock: FixedClock, tmp_path: Any, make_conversation: MakeConversation
) -> None:
    """`make run` uses the example configuration: `!ir`, `!ir page` and `pager` all work."""
    from warroom import config

    example, _ = config.load(config.EXAMPLE_CONFIG)
    example.reports.dir = tmp_path / "reports"
    clock.set(clock.now().replace(year=2026, month=11, day=23))  # a Monday
    conv = make_conversation(settings=example)
    shown = conv.say("!ir", user="daniella")
    assert 5 == len(shown)
    assert all("+1 555 01" in line for line in shown[1:4])
    paged = conv.say("!ir page checkout is down", user="daniella")
    assert any("channel created" in line for line in paged)
    assert 3 == sum(line.endswith("📟 You are paged: checkout is down") for line in paged)
    assert any("✅ Page #1" in line for line in conv.say("warroom pager ack 1", user="bob"))
    responders = conv.say("!ir responders", user="daniella")
    assert 3 == len(responders)


def test_an_unexpected_error_fails_the_page_at_once_without_retries(
    make_conv: MakeConv,
) -> None:
    """A bug in a provider is not retried (it would not get better) and is said as such."""
    from warroom.core.oncall import Contact
    from warroom.testing import FakePager

    alice = Contact("Alice Archer", "alice", "+1 555 0100")
    pager = FakePager("opsgenie", {"IMOC": [alice]})
    conv = make_conv({"opsgenie": pager}, provider="opsgenie", primary="IMOC", backup=None,
                     trainees=[])  # fmt: skip
    conv.refresh()
    pager.errors = [ValueError("bug")]
    assert [
        "[#war-room] bot: 📟 Paging the incident commanders (@alice) via Opsgenie: page #1.",
        "[#war-room] bot: ⚠ Could not page the incident commanders via Opsgenie (unexpected "
        "error, see the bot's log), page #1.",
        "[#war-room] bot: Call them: Alice Archer (@alice) +1 555 0100",
    ] == conv.say('spy page imoc "checkout is down"', user="d")
    (on_call, (trigger, key)) = pager.calls
    assert ("on_call", "IMOC") == on_call
    assert "trigger" == trigger
    assert re.fullmatch(r"warroom-[0-9a-f]{12}-page1-commanders", key), key


def test_a_failed_ack_is_said_and_leaves_the_page_as_it_was(make_conv: MakeConv) -> None:
    from warroom.core.oncall import Contact
    from warroom.ports import PagerError
    from warroom.testing import FakePager

    pager = FakePager("pagerduty", {"P1": [Contact("Carol Chen", "carol", "+1 555 0102")]})
    conv = make_conv({"pagerduty": pager}, provider="pagerduty", primary="P1", backup=None,
                     trainees=[], pagerduty={"routing_key_env": "PD_KEY_IMOC"})  # fmt: skip
    conv.refresh()
    conv.say("!ir page db down", user="d")
    pager.errors = [PagerError("PagerDuty refused the request (400)")]
    assert [
        "[#war-room] bot: Acknowledging page #1 (the incident commanders) in PagerDuty…",
        "[#war-room] bot: ⚠ Could not acknowledge page #1 (the incident commanders) in "
        "PagerDuty (PagerDuty refused the request (400)).",
        "[#ir-20170223-2242] bot: ⚠ Could not acknowledge page #1 (the incident commanders) in "
        "PagerDuty (PagerDuty refused the request (400)).",
    ] == conv.say("spy pager ack 1", user="carol")
    assert "triggered, 0s ago" in conv.say("spy pager list", user="carol")[1]


def test_a_page_still_being_sent_cannot_be_acknowledged_yet(roster: Conversation) -> None:
    """The trigger's outcome must be recorded first, or a failure would be hidden by the ack."""
    from warroom.ports import ChatMessage

    roster.app.handle_message(
        ChatMessage("shell", "d", "war-room", 'spy page imoc "x"')
    )  # committed; not yet delivered
    assert [
        "[#war-room] bot (to @alice): Page #1 is still being sent; try again in a moment."
    ] == roster.say("spy pager ack 1", user="alice")
