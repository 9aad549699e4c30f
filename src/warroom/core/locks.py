"""Deploy locks (Spy's `shipit lock`): which names are stacks, and what a lock says."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from warroom.core.incident import IncidentError

STACK = re.compile(r"^[\w.\-/]{1,200}$")
MAX_REASON = 500


class LockError(IncidentError):
    """A lock command the locks' state does not allow; the message is for users."""


@dataclass(frozen=True)
class Lock:
    stack: str
    holder: str
    reason: str
    since: datetime
    incident_id: int | None = None


def check_stack(name: str, known: Collection[str]) -> str:
    """The stack's name as stored; a name outside `known` (when any are configured) is refused
    with the nearest known names, to catch typos before they lock nothing."""
    if not STACK.match(name):
        raise LockError(f"`{name[:60]}` is not a stack name (letters, digits, . - _ /).")
    if known and name not in known:
        near = sorted(known, key=lambda k: _distance(k, name))[:3]
        raise LockError(f"I don't know the stack `{name}`. Known stacks: {', '.join(near)}.")
    return name


def check_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if len(reason) > MAX_REASON:
        raise LockError(f"Keep the reason under {MAX_REASON} characters.")
    return reason


def _distance(a: str, b: str) -> int:
    """Levenshtein distance, for suggesting the stack someone meant."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]
