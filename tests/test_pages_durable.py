"""A page is never dropped, and phones come at once: a trigger that fails is a stored job
(`page_retry` timers) retried with backoff, jitter and Retry-After until the provider confirms
or `paging.deadline` passes, across restarts and replicas, as one alert; a first try that
fails or is slow shows who to call at once; one line later says how it ended."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from helpers import MakeConversation
from paging_config import with_roster
from warroom.app import effects as fx
from warroom.config import Settings
from warroom.core.oncall import Contact, PageAction, retry_delay
from warroom.ports import ChatMessage, PagerError
from warroom.providers.http import retry_after
from warroom.providers.opsgenie import OpsgeniePager
from warroom.store.tables import TimerRow
from warroom.testing import Conversation, FakePager, FixedClock
from warroom.testing.vendors import FakeOpsgenie

OG_KEY = "og-secret-key"
STILL = (
    "bot: ⚠ Opsgenie has not confirmed the page yet; still trying. Call them: Alice Archer "
    "(@alice) +1 5550100, Bob Baker (@bob) +1 5550101"
)


@pytest.fixture
def opsgenie() -> Iterator[FakeOpsgenie]:
    with FakeOpsgenie(key=OG_KEY) as og:
        og.schedule("IMOC Primary", og.user("alice@example.com", "Alice Archer", "1-5550100"))
        og.schedule("IMOC Backup", og.user("bob@example.com", "Bob Baker", "1-5550101"))
        yield og


class Make:
    def __init__(
        self, make_conversation: MakeConversation, settings: Settings, og: FakeOpsgenie
    ) -> None:
        self.make_conversation, self.settings, self.og = make_conversation, settings, og

    def __call__(self, **paging: Any) -> Conversation:
        """A process with commanders on (fake) Opsgenie, its cache refreshed."""
        config = with_roster(
            self.settings, provider="opsgenie", primary="IMOC Primary", backup="IMOC Backup",
            trainees=[], paging={"backoff_seconds": 1, **paging},
        )  # fmt: skip
        pager = OpsgeniePager(api_url=self.og.url, api_key=OG_KEY, timeout=30)
        conv = self.make_conversation(settings=config, pagers={"opsgenie": pager}, closing=[pager])
        conv.refresh()
        return conv


@pytest.fixture
def make(make_conversation: MakeConversation, settings: Settings, opsgenie: FakeOpsgenie) -> Make:
    return Make(make_conversation, settings, opsgenie)


def retries_due(conv: Conversation) -> list[datetime]:
    """When the pending `page_retry` timers are due."""
    with conv.app.sessions() as session:
        rows = session.scalars(
            select(TimerRow.due_at).where(
                TimerRow.kind == "page_retry",
                TimerRow.fired_at.is_(None),
                TimerRow.cancelled_at.is_(None),
            )
        )
        return sorted(rows)


def about_pages(lines: list[str]) -> list[str]:
    """What the bot said about pages (timers also fire the incident's reminders)."""
    return [line for line in lines if "page #" in line.lower()]


def test_a_429_with_retry_after_is_waited_on_and_never_abandoned(
    make: Make, opsgenie: FakeOpsgenie, clock: FixedClock
) -> None:
    """Opsgenie answers 429 "Retry-After: 20" five times: each next try comes 20 s later (not
    at +0.5 s and +1 s, then never), and the sixth makes the one alert."""
    conv = make()
    opsgenie.faults = [429] * 5
    opsgenie.fault_headers = {"Retry-After": "20"}
    lines = conv.say('spy page imoc "checkout is down"', user="zoe")
    assert f"[#war-room] {STILL}" in lines
    assert not any("✅" in line for line in lines)
    started = clock.now()
    for attempt in range(1, 6):
        assert attempt == len(opsgenie.calls("POST", "/v2/alerts"))
        [due] = retries_due(conv)
        assert timedelta(seconds=20) == due - clock.now()
        clock.advance(seconds=19)
        assert [] == about_pages(conv.run_timers())  # not before the vendor said
        assert attempt == len(opsgenie.calls("POST", "/v2/alerts"))
        clock.advance(seconds=1)
        said = about_pages(conv.run_timers())
    assert [
        "[#war-room] bot: ✅ Opsgenie confirmed page #1 (the incident commanders) after 1m 40s."
    ] == said
    assert clock.now() - started == timedelta(seconds=100)
    assert 6 == len(opsgenie.calls("POST", "/v2/alerts"))
    assert 1 == len(opsgenie.alerts)
    assert [] == retries_due(conv)
    assert "— triggered," in conv.say("spy pager list", user="zoe")[1]


def test_a_retrying_page_survives_a_restart_and_is_one_alert(
    make: Make, opsgenie: FakeOpsgenie, clock: FixedClock
) -> None:
    first = make()
    opsgenie.faults = [503]
    assert f"[#war-room] {STILL}" in first.say('spy page imoc "checkout is down"', user="zoe")
    first.close()  # the process stops with the next try promised in the database
    clock.advance(minutes=2)
    second = make()  # a new process on the same database
    said = about_pages(second.run_timers())
    assert [
        "[#war-room] bot: ✅ Opsgenie confirmed page #1 (the incident commanders) after 2m 00s."
    ] == said
    assert 2 == len(opsgenie.calls("POST", "/v2/alerts"))
    assert 1 == len(opsgenie.alerts)


def test_two_replicas_send_each_try_once(
    make: Make, opsgenie: FakeOpsgenie, clock: FixedClock
) -> None:
    one, two = make(), make()
    opsgenie.faults = [500]
    one.say('spy page imoc "checkout is down"', user="zoe")
    clock.advance(minutes=1)
    said = about_pages(two.run_timers()) + about_pages(one.run_timers())
    assert 1 == sum("✅ Opsgenie confirmed page #1" in line for line in said)
    assert 2 == len(opsgenie.calls("POST", "/v2/alerts"))
    assert 1 == len(opsgenie.alerts)


def test_a_slow_provider_shows_the_phones_before_it_answers(
    make: Make, opsgenie: FakeOpsgenie
) -> None:
    """Opsgenie sits on the page: after `paging.slow_after` the channel has the phones; when
    it answers, one line says so."""
    conv = make(slow_after=0.2)
    opsgenie.gate = threading.Event()

    async def scenario() -> tuple[float, list[str]]:
        started = time.perf_counter()
        msg = ChatMessage("shell", "zoe", "war-room", 'spy page imoc "checkout is down"')
        await conv.runtime.on_message(msg)
        while not any(STILL in line for line in conv.chat.lines()):
            assert time.perf_counter() - started < 10, conv.chat.lines()
            await asyncio.sleep(0.02)
        shown_after = time.perf_counter() - started
        assert {} == opsgenie.alerts  # the phones came before the provider's answer
        assert opsgenie.gate is not None
        opsgenie.gate.set()
        await conv.runtime.wait_idle()
        return shown_after, conv.chat.lines()

    shown_after, lines = conv.loop.run_until_complete(scenario())
    assert shown_after < 3
    assert (
        "[#war-room] bot: ✅ Opsgenie confirmed page #1 (the incident commanders) after 0s."
        == lines[-1]
    )
    assert 1 == sum(STILL in line for line in lines)
    assert 1 == len(opsgenie.alerts)


def test_a_page_confirmed_meanwhile_is_not_sent_again(
    make: Make, opsgenie: FakeOpsgenie, clock: FixedClock
) -> None:
    conv = make()
    opsgenie.faults = [503]
    conv.say('spy page imoc "checkout is down"', user="zoe")
    # A redelivered copy of the first try got through meanwhile:
    call = fx.PageCall(1, "opsgenie", PageAction.TRIGGER, "k", "checkout is down")
    conv.app.page_outcome(call, None, None)
    clock.advance(minutes=1)
    assert [] == about_pages(conv.run_timers())
    assert 1 == len(opsgenie.calls("POST", "/v2/alerts"))


def test_a_page_not_confirmed_yet_cannot_be_acknowledged(
    make: Make, opsgenie: FakeOpsgenie
) -> None:
    conv = make()
    opsgenie.faults = [503]
    conv.say('spy page imoc "checkout is down"', user="zoe")
    assert [
        "[#war-room] bot (to @alice): Opsgenie has not confirmed page #1 yet, so there is "
        "nothing there to acknowledge or resolve; I keep trying until 2017-02-23 22:52:36 UTC."
    ] == conv.say("spy pager ack 1", user="alice")


def test_with_nothing_cached_the_phones_come_from_the_roster(
    settings: Settings, make_conversation: MakeConversation
) -> None:
    pager = FakePager("opsgenie", {"IMOC": [Contact("Alice Archer", "alice", "+1 555 0100")]})
    config = with_roster(settings, provider="opsgenie", primary="IMOC", backup=None, trainees=[])
    conv = make_conversation(settings=config, pagers={"opsgenie": pager})  # never refreshed
    pager.errors = [PagerError("Opsgenie failed (502)", retryable=True)]
    lines = conv.say('spy page imoc "checkout is down"', user="zoe")
    assert (
        "[#war-room] bot: ⚠ Opsgenie has not confirmed the page yet; still trying. Nothing from "
        "Opsgenie is cached, so I don't know who is on call; people with a phone in "
        "`oncall.people`: Alice Archer (@alice) +1 555 0100, Bob Baker (@bob) +1 555 0101, "
        "Carol Chen (@carol) +1 555 0102, Erin Evans (@erin) +1 555 0104" in lines
    )


def test_page_calls_name_the_war_room(
    settings: Settings, make_conversation: MakeConversation
) -> None:
    pager = FakePager("opsgenie", {"IMOC": [Contact("Alice Archer", "alice", "+1 555 0100")]})
    config = with_roster(settings, provider="opsgenie", primary="IMOC", backup=None, trainees=[])
    conv = make_conversation(settings=config, pagers={"opsgenie": pager})
    conv.refresh()
    conv.say("!ir page checkout is down", user="zoe")
    conv.say('spy page imoc "search is slow"', user="zoe", channel="general")
    assert ["ir-20170223-2242", None] == list(pager.war_rooms.values())


def test_old_page_calls_load_and_new_ones_round_trip() -> None:
    old = (
        '{"page_id": 5, "provider": "opsgenie", "action": "trigger", "key": "k", '
        '"summary": "s", "schedules": [], "people": []}'
    )
    loaded = fx.load("page", old)
    assert isinstance(loaded, fx.PageCall)
    assert (None, 1) == (loaded.war_room, loaded.attempt)
    assert ("page", old) == fx.dump(loaded)
    new = fx.PageCall(5, "opsgenie", PageAction.TRIGGER, "k", "s", war_room="ir-1", attempt=3)
    assert new == fx.load(*fx.dump(new))


def test_retry_delays_double_with_jitter_up_to_the_cap_and_respect_retry_after() -> None:
    def delay(attempt: int, jitter: float, after: float | None = None) -> float:
        return retry_delay(attempt, base=1, cap=60, retry_after=after, jitter=jitter)

    assert [0.5, 1, 2, 4] == [delay(n, 0.0) for n in range(1, 5)]
    assert [1, 2, 4, 8] == [delay(n, 1.0) for n in range(1, 5)]
    assert 60 == delay(12, 1.0)
    assert 30 == delay(12, 0.0)
    assert 20 == delay(1, 0.5, after=20)
    assert 30 == delay(12, 0.0, after=20)  # Retry-After is a floor, not a ceiling


def test_retry_after_is_read_as_seconds_or_a_date() -> None:
    def header(value: str) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": value})

    assert 20 == retry_after(header("20"))
    assert None is retry_after(httpx.Response(429))
    assert None is retry_after(header("soon"))
    assert 3600 == retry_after(header("99999999"))
    assert 0 == retry_after(header("Wed, 21 Oct 2015 07:28:00 GMT"))  # in the past
    in_90s = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    later = retry_after(header(in_90s))
    assert later is not None
    assert 80 < later <= 90


def test_the_deadline_and_slow_after_are_configurable(settings: Settings) -> None:
    assert (600, 3.0) == (settings.paging.deadline, settings.paging.slow_after)
    changed = Settings.model_validate({"paging": {"deadline": "15m", "slow_after": 1.5}})
    assert (900, 1.5) == (changed.paging.deadline, changed.paging.slow_after)


def test_stopping_the_incident_ends_the_retries_in_words(
    make: Make, opsgenie: FakeOpsgenie, clock: FixedClock
) -> None:
    conv = make(war_rooms=False)
    opsgenie.faults = [503]
    conv.say("!ir page checkout is down", user="zoe")
    conv.say("spy incident stop", user="zoe")
    clock.advance(minutes=1)
    assert [
        "[#war-room] bot: Stopped trying page #1 (the incident commanders): INC-1 was stopped "
        "before Opsgenie confirmed it."
    ] == about_pages(conv.run_timers())
    assert 1 == len(opsgenie.calls("POST", "/v2/alerts"))
    assert ["[#war-room] bot: No open pages."] == conv.say("spy pager list", user="zoe")
    assert [] == retries_due(conv)
