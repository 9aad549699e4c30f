"""The fair rotation (PagerSlack): who is pinged next, who may be, and when to escalate.

Pure: every function takes `now` and plain data; presence answers come in as a mapping.

The queue is ordered by `(turns, last_turn_at, handle)`: fewest turns first, then the longest
since the last turn (never first), then the handle so the order is total. A turn is a ping, or
an ACK of a page one was not pinged for: whoever takes the load goes to the bottom.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Member:
    handle: str
    name: str = ""
    email: str = ""
    tz: str = "UTC"
    country: str = ""
    manager: bool = False
    turns: int = 0
    pings: int = 0
    last_turn_at: datetime | None = None


@dataclass(frozen=True)
class WorkingHours:
    """Local hours in which a member may be paged, on any day; `start > end` spans midnight."""

    start: time
    end: time

    @staticmethod
    def parse(text: str) -> WorkingHours:
        try:
            a, b = text.split("-")
            return WorkingHours(time.fromisoformat(a.strip()), time.fromisoformat(b.strip()))
        except ValueError:
            raise ValueError(f"{text!r} is not a range of hours like `08:00-20:00`") from None

    def contains(self, local: time) -> bool:
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


@dataclass(frozen=True)
class Holidays:
    """Dates off, per country (ISO code) and per person (handle); in the member's local date."""

    countries: Mapping[str, frozenset[date]] = field(default_factory=dict)
    people: Mapping[str, frozenset[date]] = field(default_factory=dict)

    def off(self, member: Member, day: date) -> bool:
        return day in self.people.get(member.handle.lower(), frozenset()) or (
            bool(member.country) and day in self.countries.get(member.country.upper(), frozenset())
        )


@dataclass(frozen=True)
class Rules:
    """What makes a member eligible, besides being online."""

    excluded: frozenset[str] = frozenset()
    holidays: Holidays = field(default_factory=Holidays)
    working_hours: WorkingHours | None = None
    snoozed: frozenset[str] = frozenset()  # `pager stfu`: filled in by the app's hook


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def queue_key(member: Member) -> tuple[int, datetime, str]:
    return (member.turns, member.last_turn_at or NEVER, member.handle)


def queue(members: Iterable[Member]) -> list[Member]:
    """Engineers (not managers) in the order they will be pinged, presence aside."""
    return sorted((m for m in members if not m.manager), key=queue_key)


def why_not(member: Member, rules: Rules, now: datetime) -> str | None:
    """Why `member` may not be paged now (presence aside), or None when they may."""
    handle = member.handle.lower()
    if member.manager:
        return "manager"
    if handle in rules.excluded:
        return "excluded"
    if handle in rules.snoozed:
        return "snoozed"
    local = now.astimezone(zone(member.tz))
    if rules.holidays.off(member, local.date()):
        return "on holiday"
    if rules.working_hours is not None and not rules.working_hours.contains(local.time()):
        return "outside working hours"
    return None


def candidates(
    members: Iterable[Member],
    rules: Rules,
    now: datetime,
    *,
    skip: Collection[str] = (),
    limit: int | None = None,
) -> list[Member]:
    """The queue, keeping only members who may be paged now and were not pinged yet (`skip`);
    the first `limit` of them (eligibility is checked only as far as needed)."""
    skipped = {s.lower() for s in skip}
    found: list[Member] = []
    for m in queue(members):
        if limit is not None and len(found) >= limit:
            break
        if m.handle.lower() not in skipped and why_not(m, rules, now) is None:
            found.append(m)
    return found


def pick(candidates_: Iterable[Member], presence: Mapping[str, str]) -> Member | None:
    """The first candidate known to be online; unknown presence counts as away."""
    for member in candidates_:
        if presence.get(member.handle) == "active":
            return member
    return None


AWAY = "away"
UNCHECKED = "presence unknown"
PINGED = "pinged already"


def unavailable(
    members: Iterable[Member],
    rules: Rules,
    now: datetime,
    presence: Mapping[str, str],
    *,
    skip: Collection[str] = (),
) -> Counter[str]:
    """Why no engineer could be pinged, counted per reason: `why_not`'s reasons, `PINGED` for
    those this page pinged already, `AWAY` for those whose presence said so, `UNCHECKED` for
    those whose presence was not known (not checked within the budget, or the check failed)."""
    skipped = {s.lower() for s in skip}
    counts: Counter[str] = Counter()
    for member in queue(members):
        reason = PINGED if member.handle.lower() in skipped else why_not(member, rules, now)
        if reason is None:
            status = presence.get(member.handle)
            if status == "active":
                continue
            reason = UNCHECKED if status in (None, "unknown") else AWAY
        counts[reason] += 1
    return counts


@dataclass(frozen=True)
class Step:
    """What an escalation timer does when no one has acknowledged: ping the next engineer, or
    (after `max_engineers`, or when nobody is online) the managers."""

    managers: bool


def next_step(pinged_engineers: int, max_engineers: int) -> Step:
    return Step(managers=pinged_engineers >= max_engineers)


def pinged(member: Member, now: datetime) -> Member:
    return _turn(member, now, ping=True)


def acknowledged(member: Member, now: datetime, *, was_pinged: bool) -> Member:
    """The one who reacts goes to the bottom: an ACK of a page one was not pinged for is a
    turn of its own; the pinged one already had theirs, now dated to the ACK."""
    if was_pinged:
        return Member(**{**member.__dict__, "last_turn_at": now})
    return _turn(member, now, ping=False)


def _turn(member: Member, now: datetime, *, ping: bool) -> Member:
    values = dict(member.__dict__)
    values["turns"] = member.turns + 1
    values["pings"] = member.pings + (1 if ping else 0)
    values["last_turn_at"] = now
    return Member(**values)


def position(members: Iterable[Member], handle: str) -> tuple[int, int] | None:
    """1-based place of `handle` in the queue (higher = less likely next), and its length."""
    order = queue(members)
    for i, member in enumerate(order, 1):
        if member.handle.lower() == handle.lower():
            return i, len(order)
    return None


# Stats --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageFacts:
    """One page, as the stats need it."""

    id: int
    created_at: datetime
    acked_at: datetime | None
    acked_by: str | None
    responder_tz: str | None
    escalations: int
    pinged: tuple[str, ...]


@dataclass(frozen=True)
class Stats:
    pages: int
    acked: int
    mean_ack_s: float | None
    p90_ack_s: float | None
    per_week: tuple[tuple[str, int], ...]
    per_month: tuple[tuple[str, int], ...]
    per_tz: tuple[tuple[str, int], ...]
    pings: tuple[tuple[str, int], ...]
    escalations: int


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def stats(pages: Iterable[PageFacts]) -> Stats:
    items = list(pages)
    waits = [(p.acked_at - p.created_at).total_seconds() for p in items if p.acked_at is not None]
    weeks: Counter[str] = Counter()
    months: Counter[str] = Counter()
    tzs: Counter[str] = Counter()
    pings: Counter[str] = Counter()
    for p in items:
        year, week, _ = p.created_at.isocalendar()
        weeks[f"{year}-W{week:02d}"] += 1
        months[p.created_at.strftime("%Y-%m")] += 1
        if p.acked_by is not None:
            tzs[p.responder_tz or "unknown"] += 1
        pings.update(p.pinged)
    return Stats(
        pages=len(items),
        acked=len(waits),
        mean_ack_s=sum(waits) / len(waits) if waits else None,
        p90_ack_s=percentile(waits, 90),
        per_week=tuple(sorted(weeks.items())),
        per_month=tuple(sorted(months.items())),
        per_tz=tuple(sorted(tzs.items(), key=lambda kv: (-kv[1], kv[0]))),
        pings=tuple(sorted(pings.items(), key=lambda kv: (-kv[1], kv[0]))),
        escalations=sum(p.escalations for p in items),
    )
