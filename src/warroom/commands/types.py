"""Typed commands: what the parser produces and the app executes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from warroom.core.errors import WarroomError
from warroom.core.timeref import TimeRef


@dataclass(frozen=True)
class Me:
    """`me`: the sender, whoever that is on the platform."""


User = str | Me


@dataclass(frozen=True)
class StartIncident:
    imoc: User
    summary: str
    severity: str | None = None
    services: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rebind:
    channel: str
    incident_id: int | None = None


@dataclass(frozen=True)
class SetImoc:
    user: User
    handoff: bool
    incident_id: int | None = None


@dataclass(frozen=True)
class SetSrm:
    user: User
    incident_id: int | None = None


@dataclass(frozen=True)
class Milestone:
    kind: Literal["failures_started", "mitigated"]
    when: TimeRef
    incident_id: int | None = None


@dataclass(frozen=True)
class Note:
    text: str
    incident_id: int | None = None


@dataclass(frozen=True)
class Tldr:
    incident_id: int | None = None


@dataclass(frozen=True)
class Tell:
    team: str
    message: str
    incident_id: int | None = None


@dataclass(frozen=True)
class Stop:
    incident_id: int | None = None


@dataclass(frozen=True)
class Report:
    incident_id: int | None = None


@dataclass(frozen=True)
class ListIncidents:
    all: bool


@dataclass(frozen=True)
class Help:
    topic: tuple[str, ...]


@dataclass(frozen=True)
class StatusReport:
    """`status`: the components report and the overall word."""


@dataclass(frozen=True)
class StatusIncidents:
    """`status incidents`: unresolved incidents from the status page."""


@dataclass(frozen=True)
class Stalk:
    interval: int | None = None


@dataclass(frozen=True)
class Unstalk:
    pass


@dataclass(frozen=True)
class ShowOnCall:
    """`!ir` (commanders) or `!ir responders` (every team)."""

    responders: bool = False


@dataclass(frozen=True)
class Who:
    user: str


PageKind = Literal["commanders", "responders", "person", "team"]


@dataclass(frozen=True)
class PageSomeone:
    """`!ir page ...` (war_room: also open a war room and an incident) or `page <team> "..."`.
    `name` is the person or team; `message` may be empty."""

    kind: PageKind
    message: str
    name: str | None = None
    war_room: bool = False


PagerAction = Literal["acknowledge", "resolve"]


@dataclass(frozen=True)
class PagerUpdate:
    action: PagerAction
    page_id: int
    team: str | None = None


@dataclass(frozen=True)
class PagerList:
    pass


@dataclass(frozen=True)
class ProviderStatus:
    provider: str
    status: str
    feature: str


@dataclass(frozen=True)
class Snooze:
    """`pager stfu [duration]`; `seconds` None is `pager unstfu`."""

    seconds: int | None


@dataclass(frozen=True)
class DevOnCall:
    """`devoncall <incident URL or text>`: ping the least-pinged online engineer."""

    text: str


@dataclass(frozen=True)
class ShowRoster:
    """`roster`: the roster, the rules files and who may not be paged now."""


@dataclass(frozen=True)
class Top:
    """`top`: the next 25 in the queue."""


@dataclass(frozen=True)
class Position:
    """`position`: my place in the queue."""


@dataclass(frozen=True)
class RotationStats:
    """`stats`: time to ACK, pages per period and time zone, pings per person."""


RotationCommand = DevOnCall | ShowRoster | Top | Position | RotationStats
StatusCommand = StatusReport | StatusIncidents | Stalk | Unstalk | ProviderStatus
PagingCommand = ShowOnCall | Who | PageSomeone | PagerUpdate | PagerList | Snooze
IncidentCommand = Rebind | SetImoc | SetSrm | Milestone | Note | Tldr | Tell | Stop | Report
Command = (
    StartIncident
    | IncidentCommand
    | ListIncidents
    | Help
    | StatusCommand
    | PagingCommand
    | RotationCommand
)


class UsageError(WarroomError):
    """Input the grammar does not accept. `usage` is the form to show back, if one applies."""

    def __init__(self, message: str, usage: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage
