"""Points in time as users write them (`14:05`, `10m ago`, ISO), resolved against `now`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta


@dataclass(frozen=True)
class Now:
    """No time given: the moment the command arrives."""


@dataclass(frozen=True)
class ClockTime:
    """`14:05` or `14:05 UTC`: the latest such UTC time that is not in the future."""

    hour: int
    minute: int
    second: int = 0


@dataclass(frozen=True)
class Ago:
    """`10m ago`, `1h30m ago`."""

    seconds: int


@dataclass(frozen=True)
class Absolute:
    """An ISO timestamp, always timezone-aware."""

    at: datetime


TimeRef = Now | ClockTime | Ago | Absolute


def resolve(ref: TimeRef, now: datetime) -> datetime:
    """The UTC moment `ref` names, seen from `now`."""
    now = now.astimezone(UTC)
    if isinstance(ref, Now):
        return now
    if isinstance(ref, Ago):
        return now - timedelta(seconds=ref.seconds)
    if isinstance(ref, Absolute):
        return ref.at.astimezone(UTC)
    candidate = datetime.combine(now.date(), time(ref.hour, ref.minute, ref.second), tzinfo=UTC)
    # Milestones are in the past: 23:50 typed at 00:10 means yesterday.
    if candidate > now:
        candidate -= timedelta(days=1)
    return candidate


def format_utc(at: datetime) -> str:
    """`2017-02-23 22:42:36 UTC`, the form Spy shows."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def format_duration(delta: timedelta) -> str:
    """`45s`, `12m 05s`, `3h 07m`, `2d 4h`: short and exact enough for a report."""
    total = int(delta.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    if minutes:
        return f"{sign}{minutes}m {seconds:02d}s"
    return f"{sign}{seconds}s"


_UNITS = {
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
}  # fmt: skip
_PART = re.compile(r"(\d{1,12})\s*([a-z]+)")
MAX_SECONDS = 366 * 86400


def parse_duration(text: str) -> int | None:
    """Seconds in `90`, `90s`, `5m`, `1h30m`, `2 hours`; None when `text` is not a duration."""
    text = text.strip().lower()
    if text.isdecimal():
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
