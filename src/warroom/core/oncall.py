"""Who is on call: people, shift schedules (daily or weekly turns, with overrides), and pages.

Pure: every function takes `now`. The providers (builtin, PagerDuty, Opsgenie) all answer in
`Contact`s, so the words and the fallback ("call them: ...") do not care where they came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

SHIFTS = {"daily": timedelta(days=1), "weekly": timedelta(weeks=1)}


@dataclass(frozen=True)
class Contact:
    """One person as a pager knows them. `handle` is their chat handle, when known."""

    name: str
    handle: str | None = None
    phone: str | None = None
    email: str | None = None
    timezone: str | None = None


@dataclass(frozen=True)
class Override:
    person: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class ShiftSchedule:
    """People take turns in `people` order, one shift each, from `start` (a handover time)."""

    people: tuple[str, ...]
    shift: timedelta
    start: datetime
    overrides: tuple[Override, ...] = ()


def on_call(schedule: ShiftSchedule, now: datetime) -> str | None:
    """The person on call at `now`: the latest override covering `now`, else the turn."""
    for override in reversed(schedule.overrides):
        if override.start <= now < override.end:
            return override.person
    if not schedule.people:
        return None
    turns = (now - schedule.start) // schedule.shift  # negative before start: still well-defined
    return schedule.people[turns % len(schedule.people)]


def next_handover(schedule: ShiftSchedule, now: datetime) -> datetime:
    turns = (now - schedule.start) // schedule.shift
    return schedule.start + (turns + 1) * schedule.shift


def next_change(schedule: ShiftSchedule, now: datetime) -> datetime:
    """The next moment someone else may come on call: a shift handover, or an override
    starting or ending."""
    edges = [o.start for o in schedule.overrides] + [o.end for o in schedule.overrides]
    return min([next_handover(schedule, now), *(e for e in edges if e > now)])


class PageStatus(StrEnum):
    TRIGGERING = "triggering"  # committed, not yet confirmed by the provider
    RETRYING = "retrying"  # the provider has not confirmed it yet: the channel was told to call
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    FAILED = "failed"


OPEN = frozenset(
    {PageStatus.TRIGGERING, PageStatus.RETRYING, PageStatus.TRIGGERED, PageStatus.ACKNOWLEDGED}
)
# Sent, not yet confirmed: the trigger's outcome is still to come (an ack now would hide it).
PENDING = frozenset({PageStatus.TRIGGERING, PageStatus.RETRYING})


class PageAction(StrEnum):
    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


def after(status: PageStatus, action: PageAction, *, ok: bool) -> PageStatus:
    """The page's status once the provider answered `action`. A failed ack or resolve leaves
    the page as it was; a failed trigger marks it failed."""
    if not ok:
        return PageStatus.FAILED if action is PageAction.TRIGGER else status
    return {
        PageAction.TRIGGER: PageStatus.TRIGGERED,
        PageAction.ACKNOWLEDGE: PageStatus.ACKNOWLEDGED,
        PageAction.RESOLVE: PageStatus.RESOLVED,
    }[action]


def retry_delay(
    attempt: int, *, base: float, cap: float, retry_after: float | None, jitter: float
) -> float:
    """Seconds to wait before try `attempt + 1` of a page after try `attempt` failed:
    exponential (`base`, doubling, at most `cap`) with equal jitter (`jitter` in [0, 1): half
    the wait is fixed, half random, so replicas and pages retrying together spread out), and
    never sooner than the provider's Retry-After."""
    exponential = min(cap, base * 2.0 ** max(0, attempt - 1))
    delay = exponential * (0.5 + 0.5 * min(max(jitter, 0.0), 1.0))
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


def dedup_key(*, installation: str, incident_id: int | None, page_id: int, target: str) -> str:
    """One alert per (incident, target): a retry, a restart or a second `!ir page` in the same
    incident reuses the key, and the provider folds them into one alert. Pages outside an
    incident are their own intent. The installation (one random ID per database) keeps two
    databases, or one before and after a reset, from folding a new page into an old alert."""
    slug = "".join(c if c.isalnum() else "-" for c in target.lower()).strip("-")
    if incident_id is not None:
        return f"warroom-{installation}-inc{incident_id}-{slug}"
    return f"warroom-{installation}-page{page_id}-{slug}"


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and swaps of
    two neighbours (`alcie` -> `alice` is one), case-insensitive."""
    a, b = a.lower(), b.lower()
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return rows[len(a)][len(b)]


def looks_like(word: str, name: str) -> bool:
    """Is `word` (typed) close enough to `name` (a handle, a name, an e-mail) to be a typo of
    it? Within two edits; within one for words of three or four letters; never for shorter
    words (`db` is not `bob`)."""
    word, name = word.lower().lstrip("@"), name.lower()
    if len(word) < 3 or len(name) < 3:
        return False
    allowed = 1 if len(word) <= 4 else 2
    return abs(len(word) - len(name)) <= allowed and edit_distance(word, name) <= allowed
