"""Parsing the time and duration forms users type."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from warroom.commands.types import UsageError
from warroom.core.timeref import Absolute, Ago, ClockTime, Now, TimeRef, parse_duration

TIME_FORMS = "`14:05`, `14:05 UTC`, `10m ago`, `2017-02-23T21:54:59Z` or nothing for now"

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*(?:utc|z))?$")


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
