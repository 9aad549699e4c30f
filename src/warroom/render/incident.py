"""The words of incident replies, as Docs. Wording follows Spy where the seeds show it."""

from __future__ import annotations

from datetime import datetime

from warroom.core.doc import ChannelRef, Doc, Line, Mention, Segment, Text, bold, code, line
from warroom.core.incident import Event, EventKind, Incident, people_involved
from warroom.core.timeref import format_duration, format_utc
from warroom.render.plural import plural

TLDR_TIMELINE_MAX = 25


def inc(incident: Incident) -> str:
    return f"INC-{incident.id}"


def topic(incident: Incident) -> Doc:
    sev = f"[{incident.severity}] " if incident.severity else ""
    return Doc.of(
        line(f"🔥 {sev}", Mention(incident.imoc), f" is IMOC for incident: {incident.summary}")
    )


def started(incident: Incident) -> Doc:
    ch = ChannelRef(incident.channel)
    return Doc.of(
        line(
            f"🔥 An incident was reported at {format_utc(incident.started_at)}. ",
            Mention(incident.imoc),
            f" is the IMOC. ({inc(incident)})",
        ),
        line("Status summary: ", Text(incident.summary)),
        line(
            "Incident was bound to ", ch, ". Please use ", ch,
            " for communications, or rebind the incident with ", code("incident channel ..."), ".",
        ),
    )  # fmt: skip


def started_here(incident: Incident) -> Doc:
    return Doc.of(
        line(
            f"🔥 {inc(incident)} (", Text(incident.summary), ") is now bound to ",
            ChannelRef(incident.channel), ". ", Mention(incident.imoc), " is the IMOC.",
        )
    )  # fmt: skip


def handed_off(incident: Incident, *, actor: str, previous: str) -> Line:
    """Who did it, as the timeline says: the IMOC handing over, or someone else moving the role."""
    if actor == previous:
        who: Line = line(Mention(actor), " handed off the IMOC role to ")
    else:
        who = line(Mention(actor), " handed the IMOC role from ", Mention(previous), " to ")
    return line("🤝 ", *who, Mention(incident.imoc), f". {inc(incident)}: ", Text(incident.summary))


def event_line(event: Event) -> Line:
    """`2017-08-21 18:47:38 UTC: @who: what` for the tldr and the report."""
    head: list[Segment] = [Text(f"{format_utc(event.at)}: "), Mention(event.actor), Text(": ")]
    return tuple(head) + _what(event)


def _what(event: Event) -> Line:
    subject = event.subject or ""
    match event.kind:
        case EventKind.STARTED:
            return line("Started tracking an incident with commander: ", Mention(subject))
        case EventKind.CHANNEL:
            return line("Bound the incident to ", ChannelRef(subject))
        case EventKind.IMOC:
            return line("Set the IMOC to ", Mention(subject))
        case EventKind.HANDOFF:
            return line("Handed off the IMOC role to ", Mention(subject))
        case EventKind.SRM:
            return line("Set the SRM to ", Mention(subject))
        case EventKind.FAILURES_STARTED:
            return line(f"Failures started at {_utc_iso(subject)}")
        case EventKind.MITIGATED:
            return line(f"Failures mitigated at {_utc_iso(subject)}")
        case EventKind.NOTE:
            return line("Note: ", Text(event.text))
        case EventKind.TELL:
            return line(f"Told {subject}: ", Text(event.text))
        case EventKind.STOPPED:
            return line("Stopped the incident")
        case EventKind.REMINDER:
            return line("Reminder: ", Text(event.text))
        case EventKind.PROVIDER_STATUS:
            return line(f"Third party {subject}: ", Text(event.text))
        case (
            EventKind.PAGE
            | EventKind.PAGE_SENT
            | EventKind.PAGE_ACKED
            | EventKind.PAGE_RESOLVED
            | EventKind.PAGE_FAILED
            | EventKind.TICKET
        ):
            return line(Text(event.text))
    return line(Text(event.text))


def _utc_iso(raw: str) -> str:
    try:
        return format_utc(datetime.fromisoformat(raw))
    except ValueError:
        return raw


def _when(at: datetime | None) -> str:
    return format_utc(at) if at else "-"


def _people(users: list[str]) -> Line:
    out: list[Segment] = []
    for i, user in enumerate(users):
        if i:
            out.append(Text(", "))
        out.append(Mention(user))
    return tuple(out) or (Text("-"),)


def tldr(incident: Incident, events: list[Event], now: datetime) -> Doc:
    shown = events[-TLDR_TIMELINE_MAX:]
    lines: list[Line] = [line(bold(f'{inc(incident)} "{incident.summary}"'))]
    if incident.severity:
        lines.append(line(f"Severity: {incident.severity}"))
    lines.append(line("Timeline:"))
    if len(events) > len(shown):
        earlier = plural(len(events) - len(shown), "earlier entry", "earlier entries")
        lines.append(line(f"({earlier}: ", code("incident report"), ")"))
    lines.extend(event_line(e) for e in shown)
    lines += [
        line("Incident Commander (IMOC): ", Mention(incident.imoc)),
        line("Support Response (SRM): ", Mention(incident.srm) if incident.srm else "-"),
        line("Channel: ", ChannelRef(incident.channel)),
        line(f"Failures Started: {_when(incident.failures_started_at)}"),
        line(f"Failures Mitigated: {_when(incident.mitigated_at)}"),
        line(f"Incident Started: {format_utc(incident.started_at)}"),
    ]
    if incident.stopped_at:
        lines.append(line(f"Incident Stopped: {format_utc(incident.stopped_at)}"))
    else:
        lines.append(line(f"Running for: {format_duration(now - incident.started_at)}"))
    lines.append(line("People Involved: ", *_people(people_involved(incident, events))))
    return Doc(tuple(lines))


def stopped(incident: Incident, report_path: str) -> Doc:
    assert incident.stopped_at is not None
    return Doc.of(
        line(
            f"✅ Incident stopped at {format_utc(incident.stopped_at)}. "
            "Thanks for letting us know."
        ),
        line(
            f"The service-disruption report of {inc(incident)} is written to {report_path}; ",
            code(f"incident report {incident.id}"), " shows it.",
        ),
    )  # fmt: skip


def incident_list(incidents: list[Incident], now: datetime, *, history: bool) -> Doc:
    if not incidents:
        return Doc.of("No incidents right now." if not history else "No incidents yet.")
    title = "Recent incidents:" if history else f"{len(incidents)} active:"
    lines: list[Line] = [line(title)]
    for incident in incidents:
        end = incident.stopped_at or now
        state = "stopped" if incident.stopped_at else "active"
        lines.append(
            line(
                f"{inc(incident)} " + (f"[{incident.severity}] " if incident.severity else ""),
                Text(incident.summary), " — ", ChannelRef(incident.channel),
                ", IMOC ", Mention(incident.imoc),
                f", {state}, {format_duration(end - incident.started_at)}"
                f" since {format_utc(incident.started_at)}",
            )
        )  # fmt: skip
    return Doc(tuple(lines))
