"""The incident lifecycle of Spy: start, roles, milestones, notes, stop.

Every transition is a function that takes the current incident and `now`, and returns the new
incident and the timeline event that records it. An illegal transition raises `IncidentError`
and the caller keeps the incident it had: nothing is mutated in place.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from warroom.core.errors import WarroomError
from warroom.core.timeref import format_utc


class IncidentError(WarroomError):
    """A command that the incident's current state does not allow; the message is for users."""


class EventKind(StrEnum):
    STARTED = "started"
    CHANNEL = "channel"
    IMOC = "imoc"
    HANDOFF = "handoff"
    SRM = "srm"
    FAILURES_STARTED = "failures_started"
    MITIGATED = "mitigated"
    NOTE = "note"
    TELL = "tell"
    STOPPED = "stopped"
    REMINDER = "reminder"
    PROVIDER_STATUS = "provider_status"
    PAGE = "page"  # asked for; subject: the target
    PAGE_SENT = "page_sent"
    PAGE_ACKED = "page_acked"
    PAGE_RESOLVED = "page_resolved"
    PAGE_FAILED = "page_failed"
    TICKET = "ticket"  # subject: the link
    SEVERITY = "severity"  # subject: the new severity
    SEVERITY_RULE = "severity_rule"  # subject: the rule's key (core/severity.py), applied once
    IMPACT = "impact"  # subject: the service
    ACTION = "action"  # a follow-up action item; subject: its number


ROLE_KINDS = frozenset({EventKind.STARTED, EventKind.IMOC, EventKind.HANDOFF, EventKind.SRM})


@dataclass(frozen=True)
class Event:
    """One line of the timeline. `subject` is the user, channel or team the event is about."""

    at: datetime
    actor: str
    kind: EventKind
    text: str
    subject: str | None = None


@dataclass(frozen=True)
class Incident:
    id: int
    platform: str
    channel: str
    summary: str
    reporter: str
    imoc: str
    srm: str | None
    started_at: datetime
    failures_started_at: datetime | None = None
    mitigated_at: datetime | None = None
    stopped_at: datetime | None = None
    severity: str | None = None

    @property
    def active(self) -> bool:
        return self.stopped_at is None


MAX_SUMMARY = 300
MAX_NOTE = 3000
# How far before the incident's start its failures may have started: a bound that catches a
# mistyped date (1970) and still covers a slow leak noticed late.
MAX_LOOKBACK = timedelta(days=30)

# Names that notify everyone in a room on some platform (Slack, Matrix, Mattermost, Discord).
# A role is one person: a broadcast is never made IMOC or SRM.
BROADCASTS = frozenset({"here", "channel", "everyone", "room", "all"})


def is_broadcast(user: str) -> bool:
    """`@here`, `here`, `<!channel>`, `<!here|here>`, `@room`, `<!subteam^S123>`..."""
    name = user.strip().removeprefix("<").removesuffix(">").lstrip("@!").split("|")[0].lower()
    return name in BROADCASTS or name.startswith("subteam^")


def _one_person(user: str, role: str) -> None:
    if is_broadcast(user):
        name = user.strip().removeprefix("<").removesuffix(">").lstrip("@!").split("|")[0]
        raise IncidentError(
            f"@{name} is a broadcast, not a person: the {role} must be one person, "
            "such as `@alice` or `me`."
        )


def start(
    *,
    platform: str,
    channel: str,
    summary: str,
    imoc: str,
    reporter: str,
    now: datetime,
) -> tuple[Incident, Event]:
    summary = " ".join(summary.split())
    _one_person(imoc, "IMOC")
    if not summary:
        raise IncidentError("An incident needs a summary of what is broken.")
    if len(summary) > MAX_SUMMARY:
        raise IncidentError(
            f"The summary is too long ({len(summary)} characters, at most {MAX_SUMMARY})."
        )
    incident = Incident(
        id=0,  # the store gives the ID
        platform=platform,
        channel=channel,
        summary=summary,
        reporter=reporter,
        imoc=imoc,
        srm=None,
        started_at=now,
    )
    event = Event(now, reporter, EventKind.STARTED, "Started tracking an incident", subject=imoc)
    return incident, event


def require_active(incident: Incident) -> None:
    if not incident.active:
        raise IncidentError(f"INC-{incident.id} was stopped already; it cannot be changed.")


_require_active = require_active


def rebind(
    incident: Incident, *, channel: str, actor: str, now: datetime
) -> tuple[Incident, Event]:
    _require_active(incident)
    if channel == incident.channel:
        raise IncidentError(f"INC-{incident.id} is bound to that channel already.")
    event = Event(now, actor, EventKind.CHANNEL, "Incident was rebound", subject=channel)
    return replace(incident, channel=channel), event


def assign_imoc(
    incident: Incident, *, user: str, actor: str, now: datetime, handoff: bool
) -> tuple[Incident, Event]:
    """`incident imoc @x` or `incident handoff @x`: the IMOC role moves to `user`."""
    _require_active(incident)
    _one_person(user, "IMOC")
    if user == incident.imoc:
        raise IncidentError("That person is the IMOC already.")
    kind = EventKind.HANDOFF if handoff else EventKind.IMOC
    text = "Handed off the IMOC role" if handoff else "Set the IMOC"
    return replace(incident, imoc=user), Event(now, actor, kind, text, subject=user)


def assign_srm(
    incident: Incident, *, user: str, actor: str, now: datetime
) -> tuple[Incident, Event]:
    _require_active(incident)
    _one_person(user, "SRM")
    if user == incident.srm:
        raise IncidentError("That person is the SRM already.")
    return replace(incident, srm=user), Event(
        now, actor, EventKind.SRM, "Set the SRM", subject=user
    )


def mark_failures_started(
    incident: Incident, *, at: datetime, actor: str, now: datetime
) -> tuple[Incident, Event]:
    """Allowed after stop too: the impact window is often only known while writing the report."""
    if at > now:
        raise IncidentError("Failures cannot start in the future.")
    _not_long_before(incident, at, "start")
    if incident.mitigated_at is not None and at > incident.mitigated_at:
        raise IncidentError("Failures cannot start after they were mitigated.")
    event = Event(now, actor, EventKind.FAILURES_STARTED, "Failures started", subject=_iso(at))
    return replace(incident, failures_started_at=at), event


def mark_mitigated(
    incident: Incident, *, at: datetime, actor: str, now: datetime
) -> tuple[Incident, Event]:
    if at > now:
        raise IncidentError("Failures cannot be mitigated in the future.")
    _not_long_before(incident, at, "be mitigated")
    if incident.failures_started_at is not None and at < incident.failures_started_at:
        raise IncidentError("Failures cannot be mitigated before they started.")
    event = Event(now, actor, EventKind.MITIGATED, "Failures mitigated", subject=_iso(at))
    return replace(incident, mitigated_at=at), event


def _not_long_before(incident: Incident, at: datetime, verb: str) -> None:
    earliest = incident.started_at - MAX_LOOKBACK
    if at < earliest:
        raise IncidentError(
            f"Failures cannot {verb} more than {MAX_LOOKBACK.days} days before the "
            f"incident started: at the earliest {format_utc(earliest)}."
        )


def add_note(incident: Incident, *, text: str, actor: str, now: datetime) -> Event:
    """Notes are allowed after stop: they feed the service-disruption report."""
    text = text.strip()
    if not text:
        raise IncidentError("A note needs some text.")
    if len(text) > MAX_NOTE:
        raise IncidentError(f"The note is too long ({len(text)} characters, at most {MAX_NOTE}).")
    return Event(now, actor, EventKind.NOTE, text)


def tell(incident: Incident, *, team: str, message: str, actor: str, now: datetime) -> Event:
    _require_active(incident)
    message = message.strip()
    if not message:
        raise IncidentError("Tell them what? Give a message after the team.")
    return Event(now, actor, EventKind.TELL, message, subject=team)


def stop(incident: Incident, *, actor: str, now: datetime) -> tuple[Incident, Event]:
    _require_active(incident)
    return replace(incident, stopped_at=now), Event(
        now, actor, EventKind.STOPPED, "Incident stopped"
    )


def people_involved(incident: Incident, events: list[Event]) -> list[str]:
    """Everyone who acted on the incident or held a role, in order of first appearance."""
    seen: dict[str, None] = {incident.reporter: None}
    for event in events:
        seen.setdefault(event.actor, None)
        if event.kind in ROLE_KINDS and event.subject:
            seen.setdefault(event.subject, None)
    for user in (incident.imoc, incident.srm):
        if user:
            seen.setdefault(user, None)
    return list(seen)


def _iso(at: datetime) -> str:
    return at.isoformat()
