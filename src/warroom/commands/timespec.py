"""Parsing the time and duration forms users type."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from warroom.commands.types import UsageError
from warroom.core.timeref import Absolute, Ago, ClockTime, Now, TimeRef

TIME_FORMS = "`14:05`, `14:05 UTC`, `10m ago`, `2017-02-23T21:54:59Z` or nothing for now"

_UNITS = {
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
}  # fmt: skip
_PART = re.compile(r"(\d{1,7})\s*([a-z]+)")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*(?:utc|z))?$")
MAX_SECONDS = 366 * 86400


def parse_duration(text: str) -> int | None:
    """Seconds in `90`, `90s`, `5m`, `1h30m`, `2 hours`; None when `text` is not a duration."""
    text = text.strip().lower()
    if text.isdigit():
        seconds = int(text)
        return seconds if seconds <= MAX_SECONDS else None
    pos, total = 0, 0
    compact = text.replace(" ", "")
    if not compact:
        return None
    for match in _PART.finditer(compact):
        if match.start() != pos or match.group(2) not in _UNITS:
            return None
        total += int(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(compact) or total > MAX_SECONDS:
        return None
    return total


def parse_time(text: str) -> TimeRef:
    raw = text.strip()
    low = raw.lower()
    if low in ("", "now"):
        return Now()
    clock = _CLOCK.match(low)
    if clock:
        hour, minute, second = int(clock[1]), int(clock[2]), int(clock[3] or 0)
        if hour > 23 or minute > 59 or second > 59:
            raise UsageError(f"`{raw}` is not a time of day.", usage=TIME_FORMS)
        return ClockTime(hour, minute, second)
    if low.endswith(" ago") or low.endswith("ago"):
        seconds = parse_duration(low.removesuffix("ago"))
        if seconds is None:
            raise UsageError(f"`{raw}` is not a duration ago.", usage=TIME_FORMS)
        return Ago(seconds)
    try:
        at = datetime.fromisoformat(raw.replace(" UTC", "").replace(" utc", ""))
    except ValueError:
        raise UsageError(f"I can't read `{raw}` as a time.", usage=TIME_FORMS) from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    if not 1970 <= at.year <= 9000:
        raise UsageError(f"`{raw}` is too far from now.", usage=TIME_FORMS)
    return Absolute(at)
