"""Severity, impact, action items and service levels: `incident severity <level>`, `incident
impact <service> [full|partial]`, `incident action <text> [@owner]`, `incident action done N`,
`incident actions`, `slo [service]`; and the options of `incident start` (`sev1`,
`--service checkout`). The typed commands, their parsers and their registry entries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from warroom.commands import types as t
from warroom.commands.registry import REGISTRY, Args, Cursor, Entry, Word, usage_of

# A severity typed at `incident start` must look like one (`sev1`, `p2`), so that a summary
# such as "severe latency" is never taken for a severity; `incident severity` takes any name.
START_SEVERITY = re.compile(r"^(?:sev|p)\d{1,2}$", re.IGNORECASE)
_NAME = re.compile(r"^[a-z][a-z0-9_.\-]{0,39}$")
_USER = re.compile(r"^(?:@([\w.\-]{1,80})|<@([A-Z0-9]{1,40})(?:\|[^>]*)?>)$")
_SERVICE_FLAG = re.compile(r"(?:^|\s)--service[=\s]+(\S+)")

Level = Literal["full", "partial"]


@dataclass(frozen=True)
class SetSeverity:
    level: str
    incident_id: int | None = None


@dataclass(frozen=True)
class SetImpact:
    service: str
    level: Level = "full"
    incident_id: int | None = None


@dataclass(frozen=True)
class AddAction:
    text: str
    owner: str | None = None
    incident_id: int | None = None


@dataclass(frozen=True)
class ActionDone:
    number: int
    incident_id: int | None = None


@dataclass(frozen=True)
class ListActions:
    incident_id: int | None = None


@dataclass(frozen=True)
class ShowSlo:
    service: str | None = None


def service_name(token: str, usage: str) -> str:
    name = token.strip().lstrip("#").lower()
    if not _NAME.match(name):
        what = f"`{token[:40]}` is not a service name" if token else "Which service?"
        raise t.UsageError(f"{what}: one lowercase word, as in `services:`.", usage=usage)
    return name


def start_options(text: str, usage: str) -> tuple[tuple[str, ...], str]:
    """`--service NAME` anywhere in `incident start`: (services, the rest of the text)."""
    services = tuple(
        dict.fromkeys(service_name(m, usage) for m in _SERVICE_FLAG.findall(" " + text))
    )
    rest = _SERVICE_FLAG.sub(" ", " " + text).strip() if services else text.strip()
    if re.search(r"(?:^|\s)--service\s*$", rest):
        raise t.UsageError("Which service? `--service checkout`.", usage=usage)
    return services, rest


def _severity(cur: Cursor, args: Args) -> SetSeverity:
    usage = usage_of("incident", "severity")
    level = cur.word().lower()
    if not level:
        raise t.UsageError("Which severity? e.g. `incident severity sev2`.", usage=usage)
    if not _NAME.match(level) or cur.rest:
        raise t.UsageError(f"`{level[:40]}` is not a severity.", usage=usage)
    return SetSeverity(level, args.incident_id)


def _impact(cur: Cursor, args: Args) -> SetImpact:
    usage = usage_of("incident", "impact")
    service = service_name(cur.word(), usage)
    level = cur.word().lower() or "full"
    if level not in ("full", "partial") or cur.rest:
        raise t.UsageError("The impact is `full` (the default) or `partial`.", usage=usage)
    return SetImpact(service, "full" if level == "full" else "partial", args.incident_id)


def _action(cur: Cursor, args: Args) -> AddAction | ActionDone:
    usage = usage_of("incident", "action")
    if cur.peek().lower() == "done":
        cur.word()
        token = cur.word().lstrip("#")
        if not token.isdigit() or len(token) > 6 or cur.rest:
            raise t.UsageError("Which action? Give its number (`incident actions`).", usage=usage)
        return ActionDone(int(token), args.incident_id)
    words = cur.rest.split()
    owner = None
    if words:
        match = _USER.match(words[-1])
        if match:
            owner = match[1] or match[2]
            words = words[:-1]
    if not words:
        raise t.UsageError("What should be done? Give the action item's text.", usage=usage)
    return AddAction(" ".join(words), owner, args.incident_id)


def _actions(cur: Cursor, args: Args) -> ListActions:
    incident_id = args.incident_id
    if cur.rest:
        token = cur.word()
        match = re.match(r"^(?:inc-)?(\d{1,9})$", token, re.IGNORECASE)
        if match is None or incident_id is not None or cur.rest:
            raise t.UsageError(
                "`incident actions` takes only an incident ID.",
                usage=usage_of("incident", "actions"),
            )
        incident_id = int(match[1])
    return ListActions(incident_id)


def _slo(cur: Cursor, args: Args) -> ShowSlo:
    usage = usage_of("slo")
    if not cur.rest:
        return ShowSlo()
    service = service_name(cur.word(), usage)
    if cur.rest:
        raise t.UsageError(f"I don't understand `{cur.rest[:60]}` there.", usage=usage)
    return ShowSlo(service)


ENTRIES: tuple[Entry, ...] = (
    Entry(
        ("incident", "severity"),
        "incident severity <level>",
        "Set the severity (`sev1` … `sev4` unless configured); its rules apply once.",
        types=(SetSeverity,),
        parser=_severity,
    ),
    Entry(
        ("incident", "impact"),
        "incident impact <service> [full|partial]",
        "Name a service the incident hurts: its error budget counts the failures.",
        types=(SetImpact,),
        parser=_impact,
    ),
    Entry(
        ("incident", "action"),
        "incident action <text> [@owner] | incident action done N",
        "Record a follow-up action item (also after stop), or mark action N done.",
        types=(AddAction, ActionDone),
        parser=_action,
    ),
    Entry(
        ("incident", "actions"),
        "incident actions [ID]",
        "The incident's open action items.",
        types=(ListActions,),
        read_only=True,
        parser=_actions,
    ),
    Entry(
        ("slo",),
        "slo [service]",
        "Every service's availability, error budget and SLA; `slo <service>`: the detail.",
        types=(ShowSlo,),
        read_only=True,
    ),
)

WORDS = (Word(("slo",), _slo, bang=("slo",)),)


def install() -> None:
    for entry in ENTRIES:
        REGISTRY.add(entry)
    for word in WORDS:
        REGISTRY.add_word(word)
