"""Times and durations as users type them, resolved against a fixed `now`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from warroom.commands.timespec import parse_time
from warroom.commands.types import UsageError
from warroom.core.timeref import format_duration, parse_duration, resolve

NOW = datetime(2017, 2, 23, 22, 42, 36, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("", NOW),
        ("now", NOW),
        ("22:05", datetime(2017, 2, 23, 22, 5, tzinfo=UTC)),
        ("22:05 UTC", datetime(2017, 2, 23, 22, 5, tzinfo=UTC)),
        ("23:50", datetime(2017, 2, 22, 23, 50, tzinfo=UTC)),  # later today = yesterday
        ("10m ago", NOW - timedelta(minutes=10)),
        ("1h30m ago", NOW - timedelta(minutes=90)),
        ("2 hours ago", NOW - timedelta(hours=2)),
        ("2017-02-23T21:54:59Z", datetime(2017, 2, 23, 21, 54, 59, tzinfo=UTC)),
        ("2017-02-23 21:54:59 UTC", datetime(2017, 2, 23, 21, 54, 59, tzinfo=UTC)),
        ("2017-02-23T23:54:59+02:00", datetime(2017, 2, 23, 21, 54, 59, tzinfo=UTC)),
    ],
)
def test_times_users_type(typed: str, expected: datetime) -> None:
    assert expected == resolve(parse_time(typed), NOW)


@pytest.mark.parametrize("typed", ["25:00", "12:61", "yesterday", "10 parsecs ago", "0001-01-01"])
def test_unreadable_times_are_usage_errors(typed: str) -> None:
    with pytest.raises(UsageError):
        parse_time(typed)


@pytest.mark.parametrize(
    ("typed", "seconds"),
    [("90", 90), ("90s", 90), ("5m", 300), ("1h", 3600), ("1h30m", 5400), ("2 days", 172800)],
)
def test_durations(typed: str, seconds: int) -> None:
    assert seconds == parse_duration(typed)


@pytest.mark.parametrize("typed", ["", "m", "5x", "1h30", "-5m", "99999999d"])
def test_not_durations(typed: str) -> None:
    assert parse_duration(typed) is None


@pytest.mark.parametrize(
    ("delta", "shown"),
    [
        (timedelta(seconds=45), "45s"),
        (timedelta(minutes=12, seconds=5), "12m 05s"),
        (timedelta(hours=3, minutes=7), "3h 07m"),
        (timedelta(days=2, hours=4), "2d 4h"),
    ],
)
def test_format_duration(delta: timedelta, shown: str) -> None:
    assert shown == format_duration(delta)
