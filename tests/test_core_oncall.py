"""Rotations, overrides, page status transitions and dedup keys: pure functions of `now`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from warroom.core.oncall import (
    Override,
    PageAction,
    PageStatus,
    ShiftSchedule,
    after,
    dedup_key,
    next_handover,
    on_call,
)

START = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
WEEKLY = ShiftSchedule(("alice", "bob", "carol"), timedelta(weeks=1), START)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (START, "alice"),
        (START + timedelta(days=6, hours=23), "alice"),
        (START + timedelta(weeks=1), "bob"),
        (START + timedelta(weeks=2, days=3), "carol"),
        (START + timedelta(weeks=3), "alice"),
        (START - timedelta(seconds=1), "carol"),  # before the start the turns run backwards
    ],
)
def test_weekly_turns(now: datetime, expected: str) -> None:
    assert expected == on_call(WEEKLY, now)


def test_daily_shift_and_the_next_handover() -> None:
    daily = ShiftSchedule(("alice", "bob"), timedelta(days=1), START)
    assert "bob" == on_call(daily, START + timedelta(days=1, hours=2))
    assert START + timedelta(days=2) == next_handover(daily, START + timedelta(days=1, hours=2))


def test_the_last_override_covering_now_wins_and_ends_on_time() -> None:
    overrides = (
        Override("dave", START, START + timedelta(days=2)),
        Override("erin", START + timedelta(days=1), START + timedelta(days=1, hours=1)),
    )
    rotation = ShiftSchedule(WEEKLY.people, WEEKLY.shift, START, overrides)
    assert "dave" == on_call(rotation, START + timedelta(hours=1))
    assert "erin" == on_call(rotation, START + timedelta(days=1, minutes=30))
    assert "alice" == on_call(rotation, START + timedelta(days=2))


def test_an_empty_rotation_has_nobody() -> None:
    assert None is on_call(ShiftSchedule((), timedelta(days=1), START), START)


def test_status_after_an_answer() -> None:
    assert PageStatus.TRIGGERED == after(PageStatus.TRIGGERING, PageAction.TRIGGER, ok=True)
    assert PageStatus.FAILED == after(PageStatus.TRIGGERING, PageAction.TRIGGER, ok=False)
    assert PageStatus.TRIGGERED == after(PageStatus.TRIGGERED, PageAction.ACKNOWLEDGE, ok=False)
    assert PageStatus.RESOLVED == after(PageStatus.ACKNOWLEDGED, PageAction.RESOLVE, ok=True)


def test_dedup_keys_are_per_installation_incident_and_target() -> None:
    """Inside an incident the page number does not matter: the same target is the same alert.
    Another installation (another database, or this one after a reset) never shares a key."""
    key = dedup_key(installation="a1b2c3", incident_id=3, page_id=7, target="commanders")
    assert "warroom-a1b2c3-inc3-commanders" == key
    assert dedup_key(installation="a1", incident_id=3, page_id=7, target="x") == dedup_key(
        installation="a1", incident_id=3, page_id=8, target="x"
    )
    assert dedup_key(installation="a1", incident_id=3, page_id=7, target="x") != dedup_key(
        installation="b2", incident_id=3, page_id=7, target="x"
    )
    assert "warroom-a1-page7-user-alice-b" == dedup_key(
        installation="a1", incident_id=None, page_id=7, target="user-Alice.B"
    )
