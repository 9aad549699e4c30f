"""Names taken from free text: a typo of a person is a question, never a page of every
commander; people known only to a pager vendor are found, invited and said as such."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from helpers import MakeConversation
from paging_config import with_roster
from warroom.config import Settings
from warroom.core.oncall import Contact, edit_distance, looks_like
from warroom.testing import Conversation, FakePager

ALCIE = (
    "[#war-room] bot (to @d): Did you mean @alice? `!ir page @alice …` pages them; "
    "`!ir page -- alcie …` pages the commanders with that text."
)


@pytest.fixture
def roster(settings: Settings, make_conversation: MakeConversation) -> Conversation:
    return make_conversation(settings=with_roster(settings))


def test_a_typo_of_a_person_is_a_question_not_a_page_of_every_commander(
    roster: Conversation,
) -> None:
    assert [ALCIE] == roster.say("!ir page alcie can you look at db3", user="d")
    assert ["[#war-room] bot: No open pages."] == roster.say("spy pager list", user="d")
    assert [] == roster.say("spy incidents", user="d")[1:]  # no war room, no incident
    paged = roster.say("!ir page -- alcie can you look at db3", user="d")
    assert (
        "[#war-room] bot: 📟 Paging the incident commanders (@alice, @bob, @erin) via the "
        "builtin roster: page #1." in paged
    )
    assert "[dm @bob] bot: 📟 You are paged: alcie can you look at db3" in paged


@pytest.mark.parametrize(
    "text",
    ["!ir page db is down", "!ir page checkout is down", "!ir page api errors everywhere"],
)
def test_ordinary_first_words_page_the_commanders(roster: Conversation, text: str) -> None:
    lines = roster.say(text, user="d")
    assert any("📟 Paging the incident commanders" in line for line in lines), lines


def test_a_name_or_an_e_mail_of_a_person_pages_them_or_asks(roster: Conversation) -> None:
    assert "[#general] bot: 📟 Paging @alice via the builtin roster: page #1." in roster.say(
        "!ir page Alice the db", user="d", channel="general"
    )
    assert "[#general] bot: 📟 Paging @bob via the builtin roster: page #2." in roster.say(
        "!ir page Bob@Example.com come", user="d", channel="general"
    )
    assert [
        "[#general] bot (to @d): Did you mean @alice? `!ir page @alice …` pages them; "
        "`!ir page -- archer …` pages the commanders with that text."
    ] == roster.say("!ir page archer the db", user="d", channel="general")
    assert [
        "[#general] bot (to @d): Did you mean @bob? `!ir page @bob …` pages them; "
        "`!ir page -- bob@exmaple.com …` pages the commanders with that text."
    ] == roster.say("!ir page bob@exmaple.com come", user="d", channel="general")


def test_the_same_rule_wherever_a_name_is_taken_from_free_text(roster: Conversation) -> None:
    assert [
        "[#war-room] bot (to @d): Did you mean @alice? `page @alice …` pages them."
    ] == roster.say('spy page alcie "the db"', user="d")
    assert [
        "[#war-room] bot (to @d): Did you mean @carol? `page @carol …` pages them."
    ] == roster.say('spy page carol "the db"', user="d")
    assert [
        "[#war-room] bot (to @d): I can't page `datastorse`. Did you mean datastores?"
    ] == roster.say("spy page datastorse disk full", user="d")
    unknown = (
        "[#war-room] bot (to @d): I don't know `alcie`. Did you mean @alice? People: alice, bob, "
        "carol, dave, erin."
    )
    assert [unknown] == roster.say("!ir page @alcie help", user="d")
    assert [unknown] == roster.say("!ir who alcie", user="d")
    assert [unknown] == roster.say('spy page @alcie "help"', user="d")


def test_typos_are_within_two_edits_and_short_words_are_never_names() -> None:
    assert 1 == edit_distance("alcie", "alice")  # a swap is one edit
    assert 2 == edit_distance("alcei", "alice")
    assert 3 == edit_distance("kitten", "sitting")
    assert looks_like("alcie", "alice")
    assert looks_like("@Alice", "alice")
    assert looks_like("bbo", "bob")
    assert not looks_like("db", "bob")
    assert looks_like("bot", "bob")  # three or four letters: one edit, asked rather than paged
    assert not looks_like("bots", "bob")
    assert not looks_like("checkout", "carol")


# -- people known only to a vendor ------------------------------------------------------------

VERA = Contact("Vera Vance", None, "+1 555 0199", "vera@example.com", "UTC")
BOB = Contact("Bob Baker", None, "+1 555 0101", "bob@example.com")


@pytest.fixture
def vendor(settings: Settings, make_conversation: MakeConversation) -> Callable[..., Any]:
    """Commanders on PagerDuty: Vera (in PagerDuty only) primary, bob backup."""

    def make() -> tuple[Conversation, FakePager]:
        pager = FakePager("pagerduty", {"P1": [VERA], "P2": [BOB]})
        config = with_roster(
            settings, provider="pagerduty", primary="P1", backup="P2", trainees=[],
            pagerduty={"routing_key_env": "PD_KEY_IMOC"},
        )  # fmt: skip
        conv = make_conversation(settings=config, pagers={"pagerduty": pager})
        conv.refresh()
        return conv, pager

    return make


def test_who_finds_people_known_only_to_the_vendor(vendor: Callable[..., Any]) -> None:
    conv, _ = vendor()
    expected = [
        "[#war-room] bot: Vera Vance +1 555 0199",
        "[#war-room] bot: E-mail vera@example.com, time zone UTC (22:42 there).",
        "[#war-room] bot: On call now: incident commander (primary).",
        "[#war-room] bot: They have no chat handle I know: page their team (`page <team>`) or "
        "call them.",
    ]
    assert expected == conv.say("!ir who vera@example.com", user="d")
    assert expected == conv.say("!ir who Vera", user="d")
    assert expected == conv.say("!ir who vera", user="d")
    assert [
        "[#war-room] bot (to @d): Vera Vance (vera@example.com) has no chat handle I know, so I "
        "cannot page them myself: page their team (`page <team> …`), or add them to "
        "`oncall.people`."
    ] == conv.say("!ir page @vera come", user="d")


def test_ir_page_invites_them_by_e_mail_and_says_who_is_imoc_instead(
    vendor: Callable[..., Any],
) -> None:
    conv, _ = vendor()
    conv.chat.users_by_email["vera@example.com"] = "U0VERA"
    lines = conv.say("!ir page checkout is down", user="d")
    assert "[#ir-20170223-2242] invited @d, @bob, @U0VERA" in lines
    assert (
        "[#war-room] bot: ⚠ Vera Vance (vera@example.com), the primary on call, has no chat "
        "handle I know, so I could not make them IMOC: @bob is IMOC for now (`incident imoc @…` "
        "hands it over)." in lines
    )
    assert any("@bob is the IMOC. (INC-1)" in line for line in lines)


def test_someone_the_platform_cannot_find_by_e_mail_is_named(vendor: Callable[..., Any]) -> None:
    conv, _ = vendor()
    lines = conv.say("!ir page checkout is down", user="d")
    assert "[#ir-20170223-2242] invited @d, @bob" in lines
    assert (
        "[#war-room] bot (to @d): ⚠ I could not find vera@example.com on shell, so they are not "
        "invited to #ir-20170223-2242: send them the link." in lines
    )


def test_who_and_page_take_a_platform_mention_the_adapter_named(roster: Conversation) -> None:
    """Slack sends `@alice` as `<@U0ALICE001>`; its adapter says whose ID that is."""
    from warroom.ports import ChatMessage

    def say(text: str) -> list[str]:
        start = len(roster.chat.sent)
        msg = ChatMessage("shell", "d", "general", text, user_names=(("U0ALICE001", "alice"),))
        roster.loop.run_until_complete(roster.runtime.on_message(msg))
        roster.loop.run_until_complete(roster.runtime.wait_idle())
        return roster.chat.lines(start)

    assert "[#general] bot: Alice Archer (@alice) +1 555 0100" == say("!ir who <@U0ALICE001>")[0]
    assert "[#general] bot: 📟 Paging @alice via the builtin roster: page #1." in say(
        "!ir page <@U0ALICE001> the db"
    )
    assert [
        "[#general] bot (to @d): I don't know `U0BOB00001`. People: alice, bob, carol, dave, erin."
    ] == say("!ir who <@U0BOB00001>")
