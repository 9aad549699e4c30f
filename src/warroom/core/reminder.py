"""Spy's reminder schedule: offsets from the incident start, repeats, and "at stop".

    - when: [30, stop]
      command: check_status_page
    - every: 10m
      command: srm_checking_in

Pure: turns rules and a start time into due times; the jobs layer stores them as timers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

COMMANDS = frozenset(
    {
        "check_status_page",
        "notify_support",
        "srm_fill_out_doc",
        "srm_checking_in",
        "notify_imoc_team",
        "message",
    }
)
# Spelling in Spy's own schedule (seed 004).
ALIASES = {"notify_support_atc": "notify_support"}


@dataclass(frozen=True)
class Rule:
    index: int
    command: str
    offsets: tuple[int, ...] = ()
    at_stop: bool = False
    every: int | None = None
    message: str | None = None
    team: str | None = None


@dataclass(frozen=True)
class Due:
    """One firing of rule `index`; `key` is unique per incident, so it is scheduled once."""

    rule: int
    at: datetime
    key: str


def on_start(rules: list[Rule], started_at: datetime) -> list[Due]:
    due: list[Due] = []
    for rule in rules:
        for offset in rule.offsets:
            at = started_at + timedelta(seconds=offset)
            due.append(Due(rule.index, at, f"r{rule.index}@{offset}"))
        if rule.every:
            due.append(
                Due(rule.index, started_at + timedelta(seconds=rule.every), f"r{rule.index}*1")
            )
    return sorted(due, key=lambda d: d.at)


def on_stop(rules: list[Rule], stopped_at: datetime) -> list[Due]:
    return [Due(r.index, stopped_at, f"r{r.index}@stop") for r in rules if r.at_stop]


def next_repeat(rule: Rule, started_at: datetime, occurrence: int) -> Due | None:
    """The firing after `occurrence` of an `every:` rule (repeats until stop)."""
    if not rule.every:
        return None
    n = occurrence + 1
    return Due(rule.index, started_at + timedelta(seconds=rule.every * n), f"r{rule.index}*{n}")
