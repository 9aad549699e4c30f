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
from warroom.config import Secrets, Settings
from warroom.core.oncall import PageAction
from warroom.ports import ChatMessage
from warroom.providers import make_pagerduty
from warroom.providers.opsgenie import OpsgeniePager
from warroom.providers.pagerduty import PagerDutyPager
from warroom.store.installation import installation_id
from warroom.testing import Conversation, FixedClock
from warroom.testing.vendors import FakeOpsgenie, FakePagerDuty

OG_KEY = "og-secret-key"
PD_TOKEN = "pd-secret-token"
PD_ROUTING = "pd-routing-key"  # the Events API v2 key of the datastores' service, PSTORES
STORES_ROUTE = {"routing_key_env": "PD_KEY_DATASTORES"}


def key(conv: Conversation, rest: str) -> str:
    """A dedup key as this database makes it: `warroom-<installation>-<rest>`."""
    with conv.app.sessions() as session:
        return f"warroom-{installation_id(session)}-{rest}"


@pytest.fixture
def opsgenie() -> Iterator[FakeOpsgenie]:
    with FakeOpsgenie(key=OG_KEY) as og:
        alice = og.user("alice@example.com", "Alice Archer", "1-5550100", "America/Toronto")
        bob = og.user("bob@example.com", "Bob Baker", "1-5550101")
        og.schedule("IMOC Primary", alice)
        og.schedule("IMOC Backup", bob)
        yield og


@pytest.fixture
def pagerduty(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePagerDuty]:
    monkeypatch.setenv("PAGERDUTY_API_TOKEN", PD_TOKEN)
    monkeypatch.setenv("PD_KEY_DATASTORES", PD_ROUTING)
    with FakePagerDuty(token=PD_TOKEN) as pd:
        pd.service("PSTORES", routing_key=PD_ROUTING)
        pd.service("PSUPPORT", escalation_policy="PEP2")
        pd.schedule("PDS1", pd.user("PU1", "Carol Chen", "carol@example.com", (1, "5550102")))
        pd.schedule("PDS2", pd.user("PU2", "Dave Diaz", "dave@example.com", (1, "5550103")))
        yield pd


class Setup:
    """A conversation whose commanders are on Opsgenie and whose datastores are on PagerDuty."""

    def __init__(
        self,
        make_conversation: MakeConversation,
        settings: Settings,
        og_url: str,
        pd_url: str,
        teams: dict[str, Any] | None = None,
        **paging: Any,
    ) -> None:
        settings.pagerduty.from_email = "warroom@example.com"
        config = with_roster(
            settings,
            provider="opsgenie",
            primary="IMOC Primary",
            backup="IMOC Backup",
            trainees=[],
            teams=teams
            or {
                "datastores": {
                    "provider": "pagerduty",
                    "schedule": "PDS1",
                    "pagerduty": STORES_ROUTE,
                }
            },
            paging=paging,
        )
        config.pagerduty.api_url, config.pagerduty.events_url = pd_url, f"{pd_url}/v2"
        # The clients' own timeout is long, so `paging.timeout_seconds` is the one that fires.
        self.og = OpsgeniePager(api_url=og_url, api_key=OG_KEY, timeout=30)
        self.pd = make_pagerduty(config, Secrets.load(config))
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
    def make(teams: dict[str, Any] | None = None, **paging: Any) -> Setup:
        return Setup(make_conversation, settings, opsgenie.url, pagerduty.url, teams, **paging)

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
    alert = opsgenie.alerts[key(conv, "inc1-commanders")]
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
    alert = pagerduty.alerts[key(conv, "page1-team-datastores")]
    assert "disk full" == alert.summary
    assert "critical" == alert.body["payload"]["severity"]
    conv.say("spy pager datastores ack 1", user="carol", channel="general")
    assert "acknowledged" == alert.status
    conv.say("spy pager res 1", user="carol", channel="general")
    assert "closed" == alert.status

    lines = conv.say("!ir page responders all hands", user="d", channel="general")
    assert "[#general] bot: 📟 Paging datastores (@carol) via PagerDuty: page #2." in lines
    assert "open" == pagerduty.alerts[key(conv, "inc1-team-datastores")].status


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
        "[#war-room] bot: ⚠ Opsgenie has not confirmed the page yet; still trying. Call them: "
        "Alice Archer (@alice) +1 5550100, Bob Baker (@bob) +1 5550101",
        "[#war-room] bot: (Page #1 to the incident commanders: cannot reach Opsgenie: "
        "ConnectError. I keep trying until 2017-02-23 23:05:06 UTC.)",
    ] == page
    assert "— retrying, 0s ago, by @zoe" in conv.say("spy pager list", user="zoe")[1]
    clock.advance(minutes=10)
    assert [
        "[#war-room] bot: ⚠ Gave up on page #1 (the incident commanders): Opsgenie did not "
        "confirm it in 10m 00s (cannot reach Opsgenie: ConnectError). Call them by phone if "
        "nobody has."
    ] == conv.run_timers()
    assert ["[#war-room] bot: No open pages."] == conv.say("spy pager list", user="zoe")


def test_a_provider_slower_than_the_timeout_shows_phones_retries_and_gives_up_at_the_deadline(
    make_setup: Any, opsgenie: FakeOpsgenie, clock: FixedClock
) -> None:
    conv = make_setup(timeout_seconds=10, backoff_seconds=30).conv
    conv.refresh()  # with time to spare, even on a busy machine: the cache knows who to call
    # Only the page itself times out; a second, so a loaded machine still sends it in time.
    conv.app.settings.paging.timeout_seconds = 1
    opsgenie.delay = 4
    lines = conv.say("!ir page checkout is down", user="daniella")
    still = (
        "bot: ⚠ Opsgenie has not confirmed the page yet; still trying. Call them: Alice Archer "
        "(@alice) +1 5550100, Bob Baker (@bob) +1 5550101"
    )
    assert f"[#war-room] {still}" in lines
    assert f"[#ir-20170223-2242] {still}" in lines
    assert 1 == len(opsgenie.calls("POST", "/v2/alerts"))
    assert [] == pages_said(conv.run_timers())  # the next try waits (30 s, jitter: 15-30 s)
    assert 1 == len(opsgenie.calls("POST", "/v2/alerts"))
    clock.advance(seconds=30)
    assert [] == pages_said(conv.run_timers())  # tried again, timed out again: nothing new
    assert 2 == len(opsgenie.calls("POST", "/v2/alerts"))
    clock.advance(minutes=10)
    gave_up = conv.run_timers()
    assert (
        "[#ir-20170223-2242] bot: ⚠ Gave up on page #1 (the incident commanders): Opsgenie did "
        "not confirm it in 10m 30s (no answer within 1s). Call them by phone if nobody has."
        in gave_up
    )
    assert 3 == len(opsgenie.calls("POST", "/v2/alerts"))  # the last try, at the deadline
    tldr = conv.say("spy incident tldr", user="alice", channel="ir-20170223-2242")
    assert any("Could not page the incident commanders via Opsgenie" in line for line in tldr)
    assert any("Opsgenie had not confirmed page #1" in line for line in tldr)


def pages_said(lines: list[str]) -> list[str]:
    """What the bot said about pages (timers also fire the incident's reminders)."""
    return [line for line in lines if "page #" in line.lower()]


@pytest.mark.parametrize("status", [429, 500, 503])
def test_429_and_5xx_are_retried_into_one_alert(
    conv: Conversation, opsgenie: FakeOpsgenie, status: int
) -> None:
    opsgenie.faults = [status]
    lines = conv.say('spy page imoc "checkout is down"', user="zoe")
    assert not any("Could not page" in line for line in lines)
    assert any("Opsgenie has not confirmed the page yet; still trying" in line for line in lines)
    assert [
        "[#war-room] bot: ✅ Opsgenie confirmed page #1 (the incident commanders) after 0s."
    ] == conv.run_timers()  # the next try is due at once (backoff_seconds: 0)
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
    sent = key(conv, "page1-team-datastores")
    call = fx.PageCall(1, "pagerduty", PageAction.TRIGGER, sent, "disk full", ("PDS1",))
    assert None is conv.loop.run_until_complete(conv.runtime.call_pager(call))
    assert 1 == len(pagerduty.alerts)
    assert 2 == pagerduty.alerts[sent].triggers
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
    assert [key(conv, "page1-commanders")] == list(opsgenie.alerts)


# -- PagerDuty: each team through its own service ---------------------------------------------

SUPPORT_REST = {
    "provider": "pagerduty",
    "schedule": "PDS2",
    "pagerduty": {"service": "PSUPPORT", "escalation_policy": "PEP2"},
}
TWO_TEAMS = {
    "datastores": {"provider": "pagerduty", "schedule": "PDS1", "pagerduty": STORES_ROUTE},
    "support": SUPPORT_REST,
}


def test_each_pagerduty_team_is_paged_on_its_own_service(
    make_setup: Any, pagerduty: FakePagerDuty
) -> None:
    """datastores through its Events integration key, support as a REST incident on its
    service with its escalation policy: each page reaches the team's own service."""
    conv = make_setup(TWO_TEAMS).conv
    conv.refresh()
    assert ["[#general] bot: 📟 Paging datastores (@carol) via PagerDuty: page #1."] == conv.say(
        'spy page datastores "disk full"', user="d", channel="general"
    )
    assert ["[#general] bot: 📟 Paging support (@dave) via PagerDuty: page #2."] == conv.say(
        'spy page support "refunds fail"', user="d", channel="general"
    )
    stores = pagerduty.alerts[key(conv, "page1-team-datastores")]
    support = pagerduty.alerts[key(conv, "page2-team-support")]
    assert ("PSTORES", "PSUPPORT") == (stores.service, support.service)
    incident = support.body["incident"]
    assert {"id": "PEP2", "type": "escalation_policy_reference"} == incident["escalation_policy"]
    assert "refunds fail" == incident["title"]
    [created] = pagerduty.calls("POST", "/incidents")
    assert "warroom@example.com" == created.headers["From"]

    conv.say("spy pager support ack 2", user="dave", channel="general")
    assert "acknowledged" == support.status
    conv.say("spy pager res 2", user="dave", channel="general")
    conv.say("spy pager res 1", user="carol", channel="general")
    assert ("closed", "closed") == (stores.status, support.status)


def test_a_rest_page_sent_again_is_the_same_incident(
    make_setup: Any, pagerduty: FakePagerDuty
) -> None:
    """PagerDuty refuses a second open incident with the same key on a service: for a
    redelivered page that refusal means it is there already."""
    conv = make_setup(TWO_TEAMS).conv
    conv.say('spy page support "refunds fail"', user="zoe")
    sent = key(conv, "page1-team-support")
    call = fx.PageCall(1, "pagerduty", PageAction.TRIGGER, sent, "refunds fail", ("PDS2",))
    assert None is conv.loop.run_until_complete(conv.runtime.call_pager(call))
    assert 2 == len(pagerduty.calls("POST", "/incidents"))
    assert 1 == len(pagerduty.alerts)


def test_after_a_restart_an_ack_finds_the_incident_by_its_key(
    make_setup: Any, pagerduty: FakePagerDuty
) -> None:
    setup = make_setup(TWO_TEAMS)
    setup.conv.say('spy page support "refunds fail"', user="zoe")
    restarted = make_setup(TWO_TEAMS)  # a new client: it never saw the trigger
    lines = restarted.conv.say("spy pager ack 1", user="dave")
    assert "[#war-room] bot: ✅ Page #1 (support) acknowledged in PagerDuty." in lines
    assert "acknowledged" == pagerduty.alerts[key(setup.conv, "page1-team-support")].status
    [lookup] = pagerduty.calls("GET", "/incidents")
    assert [key(setup.conv, "page1-team-support")] == lookup.query["incident_key"]


def test_the_fake_pagerduty_refuses_an_unknown_routing_key_or_service(
    make_setup: Any, pagerduty: FakePagerDuty, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PD_KEY_DATASTORES", "not-a-key-of-any-service")
    teams = {**TWO_TEAMS, "support": {**SUPPORT_REST, "pagerduty": {"service": "PGONE"}}}
    conv = make_setup(teams).conv
    lines = conv.say('spy page datastores "disk full"', user="zoe")
    assert (
        "[#war-room] bot: ⚠ Could not page datastores via PagerDuty (PagerDuty refused the "
        "request (400: Event object is invalid; Invalid routing key)), page #1." in lines
    )
    lines = conv.say('spy page support "refunds fail"', user="zoe")
    assert (
        "[#war-room] bot: ⚠ Could not page support via PagerDuty (PagerDuty refused the "
        "request (404: Not Found; Service PGONE not found)), page #2." in lines
    )
    assert {} == pagerduty.alerts


def test_a_pagerduty_team_without_a_route_is_refused_at_start(settings: Settings) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as refused:
        with_roster(settings, teams={"datastores": {"provider": "pagerduty", "schedule": "PDS1"}})
    assert (
        "teams.datastores: PagerDuty has no way to page team 'datastores': set "
        "`teams.datastores.pagerduty.routing_key_env`" in str(refused.value)
    )
    with pytest.raises(ValidationError) as refused:
        with_roster(settings, provider="pagerduty", primary="P1", backup=None, trainees=[])
    assert "oncall.commanders: PagerDuty has no way to page the incident commanders" in str(
        refused.value
    )
    with pytest.raises(ValidationError) as refused:
        with_roster(settings, teams={"support": SUPPORT_REST})  # REST without pagerduty.from_email
    assert "teams.support.pagerduty.service: REST pages need `pagerduty.from_email`" in str(
        refused.value
    )


def test_a_route_whose_key_is_not_in_the_environment_stops_the_start(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warroom.config import ConfigError

    monkeypatch.delenv("PD_KEY_DATASTORES", raising=False)
    config = with_roster(
        settings,
        teams={
            "datastores": {"provider": "pagerduty", "schedule": "PDS1", "pagerduty": STORES_ROUTE}
        },
    )
    with pytest.raises(ConfigError) as refused:
        make_pagerduty(config, Secrets.load(config))
    assert (
        "teams.datastores.pagerduty.routing_key_env: PD_KEY_DATASTORES is not set in the "
        "environment, so PagerDuty cannot page team 'datastores'" == str(refused.value)
    )


def test_a_person_is_paged_through_rest_with_an_assignment(pagerduty: FakePagerDuty) -> None:
    from warroom.core.oncall import Contact

    pagerduty.service("PPEOPLE")
    pager = PagerDutyPager(
        api_url=pagerduty.url, events_url=f"{pagerduty.url}/v2", api_token=PD_TOKEN, routes={},
        from_email="warroom@example.com", person_service="PPEOPLE", timeout=5,
    )  # fmt: skip

    async def page() -> None:
        try:
            await pager.trigger(
                key="warroom-page1-user-carol", summary="please join", schedules=[],
                people=[Contact("Carol Chen", "carol", email="carol@example.com")],
            )  # fmt: skip
        finally:
            await pager.aclose()

    import asyncio

    asyncio.run(page())
    alert = pagerduty.alerts["warroom-page1-user-carol"]
    assert "PPEOPLE" == alert.service
    assert [{"assignee": {"id": "PU1", "type": "user_reference"}}] == alert.body["incident"][
        "assignments"
    ]


# -- PagerDuty: on-calls ----------------------------------------------------------------------


def test_every_page_of_on_calls_is_read_and_each_phone_fetched_once(
    make_setup: Any, pagerduty: FakePagerDuty
) -> None:
    """Five people on call, two to an answer: three pages. Both schedules name the same
    people: each person's contact methods are fetched once in the refresh."""
    people = [
        pagerduty.user(f"PX{i}", f"Person {i}", f"p{i}@example.com", (1, f"555010{i}"))
        for i in range(5)
    ]
    pagerduty.schedule("PDS1", *people)
    pagerduty.schedule("PDS2", *people)
    pagerduty.page_size = 2
    conv = make_setup(TWO_TEAMS).conv
    conv.refresh()
    lines = conv.say("!ir responders", user="zoe")
    assert (
        "[#war-room] bot: datastores: Person 0 +1 5550100, Person 1 +1 5550101, Person 2 "
        "+1 5550102, Person 3 +1 5550103, Person 4 +1 5550104" == lines[1]
    )
    assert lines[1].replace("datastores", "support") == lines[2]
    assert 6 == len(pagerduty.calls("GET", "/oncalls"))  # three pages per schedule
    fetched = [r.path for r in pagerduty.calls("GET", r"/users/.+/contact_methods")]
    assert sorted(f"/users/{p}/contact_methods" for p in people) == sorted(fetched)


def test_one_failed_user_lookup_costs_that_person_alone(
    make_setup: Any, pagerduty: FakePagerDuty, caplog: pytest.LogCaptureFixture
) -> None:
    pagerduty.schedule("PDS1", "PU1", "PU2")
    pagerduty.broken_users = {"PU2"}
    conv = make_setup().conv
    conv.refresh()
    assert [
        "[#war-room] bot: 📟 On call now:",
        "[#war-room] bot: datastores: Carol Chen (@carol) +1 5550102, Dave Diaz (@dave) (no "
        "phone number)",
    ] == conv.say("!ir responders", user="zoe")
    assert any(
        "no phone number for Dave Diaz (dave@example.com): PagerDuty failed (500)" in r.message
        for r in caplog.records
    )


# -- Opsgenie: a 202 is not success -----------------------------------------------------------


def test_a_page_opsgenie_refuses_after_its_202_is_reported_with_its_reason(
    conv: Conversation, opsgenie: FakeOpsgenie
) -> None:
    conv.refresh()
    opsgenie.request_failures = ["Responder [IMOC Primary] does not exist"]
    lines = conv.say('spy page imoc "checkout is down"', user="zoe")
    assert [
        "[#war-room] bot: 📟 Paging the incident commanders (@alice, @bob) via Opsgenie: page #1.",
        "[#war-room] bot: ⚠ Could not page the incident commanders via Opsgenie (Opsgenie could "
        "not create the alert: Responder [IMOC Primary] does not exist), page #1.",
        "[#war-room] bot: Call them: Alice Archer (@alice) +1 5550100, Bob Baker (@bob) +1 5550101",
    ] == lines
    assert 1 == len(opsgenie.calls("POST", "/v2/alerts"))  # a refusal is not retried


def test_an_opsgenie_ack_is_confirmed_only_once_processed(
    conv: Conversation, opsgenie: FakeOpsgenie
) -> None:
    opsgenie.processing_polls = 2  # "not processed yet" twice, then the verdict
    conv.say('spy page imoc "checkout is down"', user="zoe")
    status_calls = opsgenie.calls("GET", r"/v2/alerts/requests/.+")
    assert 3 == len(status_calls)
    assert 1 == len({r.path for r in status_calls})
    del opsgenie.alerts[key(conv, "page1-commanders")]  # deleted in Opsgenie meanwhile
    assert [
        "[#war-room] bot: Acknowledging page #1 (the incident commanders) in Opsgenie…",
        "[#war-room] bot: ⚠ Could not acknowledge page #1 (the incident commanders) in Opsgenie "
        "(Opsgenie could not acknowledge the alert: Alert does not exist).",
    ] == conv.say("spy pager ack 1", user="alice")


def test_a_request_opsgenie_has_not_processed_in_time_is_not_called_a_success(
    make_setup: Any, opsgenie: FakeOpsgenie
) -> None:
    setup = make_setup(retries=0)
    setup.og.confirm_seconds = 0.3
    opsgenie.processing_polls = 1000
    lines = setup.conv.say('spy page imoc "checkout is down"', user="zoe")
    assert (
        "[#war-room] bot: (Page #1 to the incident commanders: Opsgenie had not processed the "
        "request after 0.3s. I keep trying until 2017-02-23 22:52:36 UTC.)" in lines
    )
    assert not any("✅" in line for line in lines)


def test_the_start_refuses_a_routeless_pagerduty_team_in_one_clear_line(tmp_path: Any) -> None:
    from warroom.config import ConfigError, load

    file = tmp_path / "c.yml"
    file.write_text(
        "teams:\n  datastores:\n    channel: datastores\n    provider: pagerduty\n"
        "    schedule: PDS1\n"
    )
    with pytest.raises(ConfigError) as refused:
        load(file)
    assert (
        str(refused.value)
        .splitlines()[1]
        .startswith("  teams.datastores: PagerDuty has no way to page team 'datastores': set ")
    )
