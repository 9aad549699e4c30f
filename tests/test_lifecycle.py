"""The incident lifecycle as a state machine: random sequences of incident commands from random
people in random channels, through a real Conversation on SQLite with a fixed clock. After every
step the database must keep the invariants, whatever was typed."""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import create_engine, text

from warroom.app.service import App
from warroom.config import Settings, TeamSettings
from warroom.store.db import connect
from warroom.testing import Conversation, FixedClock

T0 = datetime(2017, 2, 23, 22, 42, 36, tzinfo=UTC)
CHANNELS = ["war-room", "ops", "db-team", "support"]
USERS = ["alice", "bob", "carol", "daniella"]

channels = st.sampled_from(CHANNELS)
users = st.sampled_from(USERS)
words = st.text(alphabet="abcdefghij <>@#!*_`", min_size=0, max_size=12)
# A reply line: where it happened, then what the bot did there.
REPLY = re.compile(
    r"^\[(#[\w-]+|dm @\w+)\] "
    r"(bot( \(thread\))?( \(to @\w+\))?: .*|topic: .*|topic cleared|channel created|invited .+)$"
)


def _times(now: datetime) -> st.SearchStrategy[str]:
    """TIME as users type it, around `now`: nothing, `now`, `N ago`, an ISO time and a clock
    time of day, from two hours ago to five minutes ahead (the future is refused)."""
    forms = ["", " now"]
    for offset in (-7200, -1800, -600, -60, -1, 300):
        at = now + timedelta(seconds=offset)
        if offset < 0:
            forms.append(f" {-offset}s ago" if offset > -60 else f" {-offset // 60}m ago")
        forms.append(" " + at.strftime("%Y-%m-%dT%H:%M:%SZ"))
        forms.append(" " + at.strftime("%H:%M"))
    return st.sampled_from(forms)


def _at(value: datetime | str) -> datetime:
    """A time as the database driver returns it (SQLite: text)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


class _Errors(logging.Handler):
    """Collects every ERROR logged: a delivery that failed is a handler that broke."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class IncidentLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="warroom-sm-"))
        url = f"sqlite:///{self.tmp / 'w.db'}"
        config = Settings()
        config.reports.dir = self.tmp / "reports"
        config.bot.aliases = ["spy"]
        config.teams = {"support": TeamSettings(channel="support")}
        self.clock = FixedClock(T0)
        self.sessions = connect(url)
        self.conv = Conversation(App(sessions=self.sessions, settings=config, clock=self.clock))
        self.db = create_engine(url)
        self.errors = _Errors()
        logging.getLogger().addHandler(self.errors)
        self.stopped: dict[
            int, tuple[Any, ...]
        ] = {}  # id -> its row when it was first seen stopped

    def teardown(self) -> None:
        logging.getLogger().removeHandler(self.errors)
        self.conv.close()
        self.sessions.kw["bind"].dispose()
        self.db.dispose()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # --- what people do -------------------------------------------------------------------

    def say(self, words_: str, *, user: str, channel: str) -> list[str]:
        lines = self.conv.say(f"warroom {words_}", user=user, channel=channel)
        for line in lines:
            assert REPLY.match(line), line
        return lines

    def where(self, data: st.DataObject) -> str:
        """A channel: mostly one with an active incident (if any), so that commands act."""
        with self.db.connect() as conn:
            busy = sorted(
                row[0]
                for row in conn.execute(
                    text("SELECT channel FROM incidents WHERE stopped_at IS NULL")
                )
            )
        if busy and data.draw(st.integers(0, 3), label="elsewhere") < 3:
            return data.draw(st.sampled_from(busy), label="channel")
        return data.draw(channels, label="channel")

    def incident_ids(self) -> list[int]:
        with self.db.connect() as conn:
            return [row[0] for row in conn.execute(text("SELECT id FROM incidents"))]

    @rule(channel=channels, user=users, imoc=st.sampled_from(["me", *(f"@{u}" for u in USERS)]),
          summary=words)  # fmt: skip
    def start(self, channel: str, user: str, imoc: str, summary: str) -> None:
        self.say(f"incident start {imoc} {summary}", user=user, channel=channel)

    @rule(data=st.data(), user=users, note=words)
    def note(self, data: st.DataObject, user: str, note: str) -> None:
        channel = self.where(data)
        self.say(f"incident note {note}", user=user, channel=channel)

    @rule(data=st.data(), user=users, to=users, word=st.sampled_from(["imoc", "handoff", "srm"]))
    def assign(self, data: st.DataObject, user: str, to: str, word: str) -> None:
        channel = self.where(data)
        self.say(f"incident {word} @{to}", user=user, channel=channel)

    @rule(user=users, data=st.data())
    def failures_started(self, user: str, data: st.DataObject) -> None:
        channel = self.where(data)
        when = data.draw(_times(self.clock.now()))
        self.say(f"incident failures started{when}", user=user, channel=channel)

    @rule(user=users, data=st.data())
    def mitigated(self, user: str, data: st.DataObject) -> None:
        channel = self.where(data)
        when = data.draw(_times(self.clock.now()))
        self.say(f"incident mitigated{when}", user=user, channel=channel)

    @rule(data=st.data(), user=users)
    def stop(self, data: st.DataObject, user: str) -> None:
        channel = self.where(data)
        self.say("incident stop", user=user, channel=channel)

    @rule(data=st.data(), user=users)
    def tldr(self, data: st.DataObject, user: str) -> None:
        channel = self.where(data)
        lines = self.say("incident tldr", user=user, channel=channel)
        assert lines  # an answer, or why there is none

    @rule(data=st.data(), user=users, to=channels)
    def rebind(self, data: st.DataObject, user: str, to: str) -> None:
        channel = self.where(data)
        self.say(f"incident channel #{to}", user=user, channel=channel)

    @rule(channel=channels, user=users, data=st.data(),
          command=st.sampled_from(["tldr", "note by ID", "stop", "mitigated", "srm @bob"]))  # fmt: skip
    def by_id(self, channel: str, user: str, data: st.DataObject, command: str) -> None:
        """An incident named by its ID from any channel, stopped ones and unknown IDs too."""
        known = self.incident_ids()
        number = data.draw(st.sampled_from([*known, max(known, default=0) + 1]))
        self.say(f"incident {number} {command}", user=user, channel=channel)

    @rule(seconds=st.integers(min_value=1, max_value=3600))
    def time_passes(self, seconds: int) -> None:
        self.clock.advance(seconds=seconds)
        for line in self.conv.run_timers():  # reminders and the like, at the new time
            assert REPLY.match(line), line

    # --- what must hold after every step --------------------------------------------------

    def rows(self) -> list[Any]:
        with self.db.connect() as conn:
            return list(
                conn.execute(
                    text(
                        "SELECT id, platform, channel, imoc, srm, failures_started_at,"
                        " mitigated_at, stopped_at FROM incidents"
                    )
                )
            )

    @invariant()
    def one_active_incident_per_channel(self) -> None:
        active = [(r.platform, r.channel) for r in self.rows() if r.stopped_at is None]
        assert len(active) == len(set(active)), active

    @invariant()
    def an_active_incident_has_an_imoc(self) -> None:
        for row in self.rows():
            if row.stopped_at is None:
                assert row.imoc, row

    @invariant()
    def mitigated_is_never_before_failures_started(self) -> None:
        for row in self.rows():
            if row.failures_started_at is not None and row.mitigated_at is not None:
                assert _at(row.failures_started_at) <= _at(row.mitigated_at), row

    @invariant()
    def a_stopped_incident_stays_stopped(self) -> None:
        """Stopped is final: the stop time, channel and roles no longer change (notes and the
        impact window may still be recorded for the report)."""
        for row in self.rows():
            frozen = (row.stopped_at, row.channel, row.imoc, row.srm)
            if row.id in self.stopped:
                assert self.stopped[row.id] == frozen, row
            elif row.stopped_at is not None:
                self.stopped[row.id] = frozen
        assert set(self.stopped) <= {row.id for row in self.rows()}  # and is never deleted

    @invariant()
    def nothing_was_logged_as_an_error(self) -> None:
        assert [] == [r.getMessage() for r in self.errors.records]


IncidentLifecycle.TestCase.settings = settings(
    max_examples=30,
    stateful_step_count=20,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_incident_lifecycle = IncidentLifecycle.TestCase


def test_regression_a_superscript_digit_in_a_time_gets_a_usage_message(
    conv: Conversation,
) -> None:
    conv.say("warroom incident start me checkout is down", user="daniella")
    lines = conv.say("warroom incident failures started ² ago", user="daniella")
    assert lines[0].startswith("[#war-room] bot (to @daniella): `² ago` is not a duration ago.")


def test_the_machine_reads_what_its_conversation_wrote() -> None:
    """The invariants' own check: they see the rows the machine's commands wrote, and a stopped
    incident that changed afterwards is caught."""
    machine = IncidentLifecycle()
    try:
        machine.say("incident start me first", user="alice", channel="ops")
        machine.say("incident start me second", user="bob", channel="ops")  # ops has one already
        machine.one_active_incident_per_channel()
        [row] = machine.rows()
        assert ("ops", "alice", None) == (row.channel, row.imoc, row.stopped_at)
        machine.say("incident stop", user="bob", channel="ops")
        machine.a_stopped_incident_stays_stopped()
        machine.say("incident start me second", user="bob", channel="ops")
        assert 2 == len(machine.rows())
        with machine.db.begin() as conn:  # what no command may do: change a stopped incident
            conn.execute(text("UPDATE incidents SET imoc = 'mallory' WHERE id = 1"))
        with pytest.raises(AssertionError):
            machine.a_stopped_incident_stays_stopped()
    finally:
        machine.teardown()
