"""`shipit lock <stack> [reason]`, `shipit unlock <stack>`, `shipit locks` (Spy's deploy lock):
the typed commands, their parser and their help entries."""

from __future__ import annotations

from dataclasses import dataclass

from warroom.commands.types import UsageError

# (path, usage, summary): help.py makes its entries of these.
HELP: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (
        ("shipit", "lock"),
        "shipit lock <stack> [reason]",
        "Lock deploys of a stack (pipelines asking `warroom lock check` wait).",
    ),
    (("shipit", "unlock"), "shipit unlock <stack>", "Unlock deploys of a stack."),
    (("shipit", "locks"), "shipit locks", "The stacks locked now: by whom, why, since when."),
)
_USAGE = {path[1]: usage for path, usage, _ in HELP}


@dataclass(frozen=True)
class LockStack:
    stack: str
    reason: str = ""


@dataclass(frozen=True)
class UnlockStack:
    stack: str


@dataclass(frozen=True)
class ListLocks:
    pass


DeployCommand = LockStack | UnlockStack | ListLocks


def parse_shipit(rest: str) -> DeployCommand:
    """What follows `shipit`."""
    parts = rest.split(None, 2)
    sub = parts[0].lower() if parts else ""
    if sub == "locks" and len(parts) == 1:
        return ListLocks()
    if sub not in ("lock", "unlock"):
        typed = f"`shipit {rest.strip()[:40]}` is not a command." if sub else "Which one?"
        raise UsageError(typed, usage=", ".join(_USAGE.values()))
    if len(parts) < 2:
        raise UsageError("Which stack?", usage=_USAGE[sub])
    stack = parts[1]
    if sub == "unlock":
        if len(parts) > 2:
            raise UsageError(f"I don't understand `{parts[2][:60]}` there.", usage=_USAGE[sub])
        return UnlockStack(stack)
    return LockStack(stack, parts[2].strip() if len(parts) > 2 else "")
