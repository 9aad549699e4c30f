"""Paging through Opsgenie and PagerDuty: the real clients against fake servers on 127.0.0.1,
driven by chat conversations; and every way a provider fails."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from helpers import MakeConversation
from paging_config import with_roster
from warroom.app import effects as fx
from warroom.config import Settings
from warroom.core.oncall import PageAction
from warroom.ports import ChatMessage
from warroom.providers.opsgenie import OpsgeniePager
from warroom.providers.pagerduty import PagerDutyPager
from warroom.testing import Conversation, FixedClock
from warroom.testing.vendors import FakeOpsgenie, FakePagerDuty

OG_KEY = "og-secret-key"
PD_TOKEN = "pd-secret-token"
PD_ROUTING = "pd-routing-key"


@pytest.fixture
def opsgenie() -> Iterator[FakeOpsgenie]:
    with FakeOpsgenie(key=OG_KEY) as og:
        alice = og.user("alice@example.com", "Alice Archer", "1-5550100", "America/Toronto")
        bob = og.user("bob@example.com", "Bob Baker", "1-5550101")
        og.schedule("IMOC Primary", alice)
        og.schedule("IMOC Backup", bob)
        yield og


@pytest.fixture
def pagerduty() -> Iterator[FakePagerDuty]:
    with FakePagerDuty(token=PD_TOKEN, routing_key=PD_ROUTING) as pd:
        pd.schedule("PDS1", pd.user("PU1", "Carol Chen", "carol@example.com", (1, "5550102")))
        yield pd


class Setup:
    """A conversation whose commanders are on Opsgenie and whose datastores are on PagerDuty."""

    def __init__(
        self,
        make_conversation: MakeConversation,
        settings: Settings,
        og_url: str,
        pd_url: str,
        **paging: Any,
    ) -> None:
        config = with_roster(
            settings,
            provider="opsgenie",
            primary="IMOC Primary",
            backup="IMOC Backup",
            trainees=[],
            teams={"datastores": {"provider": "pagerduty", "schedule": "PDS1"}},
            paging=paging,
        )
        # The clients' own timeout is long, so `paging.timeout_seconds` is the one that fires.
        self.og = OpsgeniePager(api_url=og_url, api_key=OG_KEY, timeout=30)
        self.pd = PagerDutyPager(
            api_url=pd_url, events_url=f"{pd_url}/v2", api_token=PD_TOKEN, routing_key=PD_ROUTING,
            timeout=30,
        )  # fmt: skip
        self.conv = make_conversation(
            settings=config,
            pagers={"opsgenie": self.og, "pagerduty": self.pd},
            closing=[self.og, self.pd],
        )
        self.app = self.conv.app


@pytest.fixture
def make_setup(
    settings: Settings,
    opsgenie: FakeOpsgenie,
    pagerduty: FakePagerDuty,
    make_conversation: MakeConversation,
) -> Any:
    def make(**paging: Any) -> Setup:
        return Setup(make_conversation, settings, opsgenie.url, pagerduty.url, **paging)

    return make


@pytest.fixture
def conv(make_setup: Any) -> Conversation:
    conversation: Conversation = make_setup().conv
    return conversation


def test_ir_answers_from_the_schedules_fetched_in_the_background(
    conv: Conversation, opsgenie: FakeOpsgenie
) -> None:
    conv.refresh()
    assert [
        "[#war-room] bot: 🚨 Incident commanders on call:",
        "[#war-room] bot: Primary: Alice Archer (@alice) +1 5550100",
        "[#war-room] bot: Backup: Bob Baker (@bob) +1 5550101",
        "[#war-room] bot: To page them: `!ir page <what is broken>` (pages them, opens a war room "
        'and an incident) or `page imoc "<message>"`.',
    ] == conv.say("!ir", user="zoe")
    assert [
        "[#war-room] bot: 📟 On call now:",
        "[#war-room] bot: datastores: Carol Chen (@carol) +1 5550102",
    ] == conv.say("!ir responders", user="zoe")
    on_calls = opsgenie.calls("GET", r"/v2/schedules/.+/on-calls")
    assert {"IMOC Primary", "IMOC Backup"} == {r.path.split("/")[3] for r in on_calls}
    assert all(["name"] == r.query["scheduleIdentifierType"] for r in on_calls)


def test_page_ack_and_resolve_through_opsgenie(conv: Conversation, opsgenie: FakeOpsgenie) -> None:
    """`!ir page` creates one Opsgenie alert aliased by the dedup key, for both schedules."""
    conv.refresh()
    lines = conv.say("!ir page checkout is down", user="daniella")
    assert "[#war-room] bot: 🔥 War room: #ir-20170223-2242 (INC-1)." in lines
    assert (
        "[#war-room] bot: 📟 Paging the incident commanders (@alice, @bob) via Opsgenie: page #1."
        in lines
    )
    assert "[#ir-20170223-2242] invited @daniella, @alice, @bob" in lines
    alert = opsgenie.alerts["warroom-inc1-commanders"]
    assert "checkout is down" == alert.summary
    assert [
        {"type": "schedule", "name": "IMOC Primary"},
        {"type": "schedule", "name": "IMOC Backup"},
    ] == alert.body["responders"]

    conv.say("spy pager ack 1", user="alice")
    assert "acknowledged" == alert.status
    resolved = conv.say("spy pager imoc res 1", user="alice")
    assert "closed" == alert.status
    assert (
        "[#ir-20170223-2242] bot: ✅ Page #1 (the incident commanders) resolved in Opsgenie."
        in resolved
    )
    assert 1 == len(opsgenie.alerts)


def test_page_a_team_on_pagerduty_and_responders(
    conv: Conversation, pagerduty: FakePagerDuty
) -> None:
    conv.refresh()
    assert ["[#general] bot: 📟 Paging datastores (@carol) via PagerDuty: page #1."] == conv.say(
        'spy page datastores "disk full"', user="d", channel="general"
    )
    alert = pagerduty.alerts["warroom-page1-team-datastores"]
    assert "disk full" == alert.summary
    assert "critical" == alert.body["payload"]["severity"]
    conv.say("spy pager datastores ack 1", user="carol", channel="general")
    assert "acknowledged" == alert.status
    conv.say("spy pager res 1", user="carol", channel="general")
    assert "closed" == alert.status

    lines = conv.say("!ir page responders all hands", user="d", channel="general")
    assert "[#general] bot: 📟 Paging datastores (@carol) via PagerDuty: page #2." in lines
    assert "open" == pagerduty.alerts["warroom-inc1-team-datastores"].status


def test_page_a_person_and_stfu_with_vendors_configured(
    conv: Conversation, opsgenie: FakeOpsgenie
) -> None:
    """A person is paged by DM through the roster whatever the teams use."""
    lines = conv.say("!ir page @bob please join", user="d")
    assert "[dm @bob] bot: 📟 You are paged: please join" in lines
    assert [] == opsgenie.calls("POST", "/v2/alerts")
    conv.say("spy pager stfu 2h", user="bob")
    assert conv.app.is_snoozed("shell", "bob")


def test_provider_down_the_cache_answers_with_its_age_and_a_page_shows_phones(
    conv: Conversation, opsgenie: FakeOpsgenie, clock: FixedClock
) -> None:
    conv.refresh()
    clock.advance(minutes=12, seconds=30)
    opsgenie.close()
    conv.refresh()
    lines = conv.say("!ir", user="zoe")
    assert "[#war-room] bot: Primary: Alice Archer (@alice) +1 5550100" == lines[1]
    assert (
        "[#war-room] bot: ⚠ Opsgenie did not answer (cannot reach Opsgenie: ConnectError); "
        "this is from the cache, 12m 30s old." == lines[3]
    )
    page = conv.say('spy page imoc "checkout is down"', user="zoe")
    assert [
        "[#war-room] bot: 📟 Paging the incident commanders (@alice, @bob) via Opsgenie: page #1.",
        "[#war-room] bot: ⚠ Could not page the incident commanders via Opsgenie (cannot reach "
        "Opsgenie: ConnectError), page #1.",
        "[#war-room] bot: Call them: Alice Archer (@alice) +1 5550100, Bob Baker (@bob) +1 5550101",
    ] == page
    assert ["[#war-room] bot: No open pages."] == conv.say("spy pager list", user="zoe")


def test_a_provider_slower_than_the_timeout_fails_the_page(
    make_setup: Any, opsgenie: FakeOpsgenie
) -> None:
    conv = make_setup(timeout_seconds=10, retries=1).conv
    conv.refresh()  # with time to spare, even on a busy machine: the cache knows who to call
    conv.app.settings.paging.timeout_seconds = 0.2  # only the page itself times out
    opsgenie.delay = 2
    lines = conv.say("!ir page checkout is down", user="daniella")
    assert (
        "[#war-room] bot: ⚠ Could not page the incident commanders via Opsgenie (no answer "
        "within 0.2s), page #1." in lines
    )
    assert (
        "[#ir-20170223-2242] bot: Call them: Alice Archer (@alice) +1 5550100, Bob Baker (@bob) "
        "+1 5550101" in lines
    )
    assert 2 == len(opsgenie.calls("POST", "/v2/alerts"))  # one retry
    tldr = conv.say("spy incident tldr", user="alice", channel="ir-20170223-2242")
    assert any("Could not page the incident commanders via Opsgenie" in line for line in tldr)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_429_and_5xx_are_retried_into_one_alert(
    conv: Conversation, opsgenie: FakeOpsgenie, status: int
) -> None:
    opsgenie.faults = [status]
    lines = conv.say('spy page imoc "checkout is down"', user="zoe")
    assert not any("Could not page" in line for line in lines)
    posts = opsgenie.calls("POST", "/v2/alerts")
    assert 2 == len(posts)
    assert posts[0].body["alias"] == posts[1].body["alias"]
    assert 1 == len(opsgenie.alerts)
    listing = conv.say("spy pager list", user="zoe")
    assert "— checkout is down — triggered, 0s ago, by @zoe" in listing[1]


def test_a_refusal_is_not_retried_and_names_the_reason_without_the_key(
    make_setup: Any, pagerduty: FakePagerDuty, opsgenie: FakeOpsgenie
) -> None:
    setup = make_setup()
    setup.og._key = "wrong"
    lines = setup.conv.say('spy page imoc "x"', user="zoe")
    assert (
        "[#war-room] bot: ⚠ Could not page the incident commanders via Opsgenie (Opsgenie "
        "refused the request (401: Could not authenticate)), page #1." in lines
    )
    assert 1 == len(opsgenie.calls("POST", "/v2/alerts"))
    assert not any("wrong" in line or OG_KEY in line for line in lines)


def test_retries_and_redeliveries_never_make_a_second_alert(
    conv: Conversation, pagerduty: FakePagerDuty, opsgenie: FakeOpsgenie
) -> None:
    """The same PageCall delivered again (a crash before it was marked delivered) reuses its
    dedup key: the vendors fold it into the alert they have."""
    conv.say('spy page datastores "disk full"', user="zoe")
    call = fx.PageCall(
        1, "pagerduty", PageAction.TRIGGER, "warroom-page1-team-datastores", "disk full"
    )
    assert None is conv.loop.run_until_complete(conv.runtime.call_pager(call))
    assert 1 == len(pagerduty.alerts)
    assert 2 == pagerduty.alerts["warroom-page1-team-datastores"].triggers
    notices = conv.app.page_outcome(call, None, None)
    assert [] == notices  # already recorded: nothing said twice


def test_committed_pages_are_sent_after_a_restart(make_setup: Any, opsgenie: FakeOpsgenie) -> None:
    setup = make_setup()
    setup.app.handle_message(
        ChatMessage(platform="shell", user="zoe", channel="war-room", text='spy page imoc "x"')
    )  # committed, never delivered: the process "died"
    assert [] == opsgenie.calls("POST", "/v2/alerts")
    restarted = make_setup()
    restarted.conv.loop.run_until_complete(restarted.conv.runtime.wait_idle())
    assert 1 == len(opsgenie.calls("POST", "/v2/alerts"))
    assert [] == restarted.app.pending_effects()


def test_a_slow_provider_holds_up_no_other_command(
    conv: Conversation, opsgenie: FakeOpsgenie
) -> None:
    """While Opsgenie sits on the page, the next command is answered; the page lands later."""
    opsgenie.gate = threading.Event()

    def msg(text: str) -> ChatMessage:
        return ChatMessage(platform="shell", user="zoe", channel="general", text=text)

    async def scenario() -> list[str]:
        await conv.runtime.on_message(msg('spy page imoc "checkout is down"'))
        await conv.runtime.on_message(msg("spy incidents"))
        said = conv.chat.lines()
        assert {} == opsgenie.alerts  # the provider has not answered yet
        assert opsgenie.gate is not None
        opsgenie.gate.set()
        await conv.runtime.wait_idle()
        return said

    said = conv.loop.run_until_complete(scenario())
    assert "[#general] bot: No incidents right now." in said
    assert ["warroom-page1-commanders"] == list(opsgenie.alerts)
