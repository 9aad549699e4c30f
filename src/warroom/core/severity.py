"""Severities: which ones exist, what each means, and which of its rules still have to run.

A severity's rules (page the commanders, lock stacks, notify teams, ask Spy's high-impact
question) apply once per incident: raising sev3 → sev1 → sev2 → sev1 pages the commanders once.
The timeline remembers what was applied, so this module only compares sets.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from warroom.core.incident import Event, EventKind, Incident, IncidentError, require_active

HIGH_IMPACT_QUESTION = (
    "🔴 Is this incident high-impact? If so, did you consider paging ohshit and social?"
)


@dataclass(frozen=True)
class Severity:
    """`rank` 1 is the worst. `ask` is Spy's high-impact question."""

    name: str
    meaning: str
    rank: int
    page_commanders: bool = False
    lock: tuple[str, ...] = ()
    notify: tuple[str, ...] = ()
    ask: bool = False


def rule_keys(severity: Severity) -> list[str]:
    """The rules of a severity, each a key that the timeline records once applied."""
    keys = ["page:commanders"] if severity.page_commanders else []
    keys += [f"lock:{stack}" for stack in severity.lock]
    keys += [f"notify:{team}" for team in severity.notify]
    if severity.ask:
        keys.append("ask:high-impact")
    return keys


def to_apply(severity: Severity | None, applied: set[str], *, ask_unset: bool) -> list[str]:
    """The rules of `severity` not applied yet; an incident without a severity gets the
    high-impact question when `ask_unset`."""
    keys = rule_keys(severity) if severity else (["ask:high-impact"] if ask_unset else [])
    return [k for k in keys if k not in applied]


def find(name: str, severities: list[Severity]) -> Severity:
    low = name.strip().lower()
    for severity in severities:
        if severity.name == low:
            return severity
    known = ", ".join(s.name for s in severities) or "none configured"
    raise IncidentError(f"`{name[:40]}` is not a severity. Severities: {known}.")


def change(
    incident: Incident, *, severity: Severity, actor: str, now: datetime
) -> tuple[Incident, Event]:
    require_active(incident)
    if incident.severity == severity.name:
        raise IncidentError(f"INC-{incident.id} is {severity.name} already.")
    before = incident.severity or "unset"
    text = f"Severity {before} → {severity.name}: {severity.meaning}"
    event = Event(now, actor, EventKind.SEVERITY, text, subject=severity.name)
    return replace(incident, severity=severity.name), event


def rule_event(key: str, *, actor: str, now: datetime, text: str) -> Event:
    return Event(now, actor, EventKind.SEVERITY_RULE, text, subject=key)


def applied_rules(events: list[Event]) -> set[str]:
    return {e.subject for e in events if e.kind is EventKind.SEVERITY_RULE and e.subject}
