"""Status replies: Spy's components report, unresolved incidents, and stalking's changes."""

from __future__ import annotations

from warroom.core.doc import Doc, Line, code, line
from warroom.core.status import Health, Snapshot

NO_SOURCES = line(
    "Status: UNKNOWN — no status sources are configured (", code("status.sources"), ")"
)


def components(snapshot: Snapshot) -> list[Line]:
    if not snapshot.configured:
        # Nothing was checked: say so, never "NORMAL". Third parties people reported still show.
        lines: list[Line] = [NO_SOURCES]
        if not snapshot.components:
            return lines
    else:
        lines = [line(f"Status: {snapshot.overall.value}")]
    lines.append(line("*** Components Report ***"))
    if not snapshot.components:
        lines.append(line("The status sources reported no components."))
    for c in snapshot.components:
        detail = f" ({c.detail})" if c.detail else ""
        lines.append(line(f"{c.name} : {c.health.value}{detail}"))
    unknown = [c.name for c in snapshot.components if c.health is Health.UNKNOWN]
    if unknown:
        lines.append(
            line(f"⚠ Could not check {', '.join(unknown)}: that itself may be a sign of trouble.")
        )
    return lines


def unresolved(snapshot: Snapshot) -> list[Line]:
    lines: list[Line] = [line("*** Unresolved Incidents Report ***")]
    if snapshot.statuspages is not None and not snapshot.statuspages:
        lines.append(
            line(
                "No Statuspage source is configured (", code("kind: statuspage"), " in ",
                code("status.sources"), "), so I cannot tell which incidents are unresolved.",
            )
        )  # fmt: skip
        return lines
    unread = [c.name for c in snapshot.unread_statuspages()]
    for i in snapshot.incidents:
        lines.append(line(f"{i.name} ({i.status}, {i.source})"))
    read = snapshot.statuspages is None or len(unread) < len(snapshot.statuspages)
    if not snapshot.incidents and read:
        lines.append(line("No reported unresolved incidents."))
    if unread:
        its = "their" if len(unread) > 1 else "its"
        lines.append(line(f"⚠ Could not read {', '.join(unread)}: {its} incidents are unknown."))
    return lines


def report(snapshot: Snapshot) -> Doc:
    return Doc(tuple(components(snapshot)))


def summary(snapshot: Snapshot, *, lead: Doc | None) -> Doc:
    head = lead.lines if lead else ()
    if not snapshot.configured and not snapshot.components:
        return Doc((*head, *components(snapshot)))  # one line: nothing to summarise
    body = (line("Status Page Summary"), *components(snapshot))
    return Doc((*head, *body, *unresolved(snapshot)))


def changed(diff: list[tuple[str, str | None, str | None]]) -> Doc:
    lines: list[Line] = [line("📡 Status changed:")]
    for key, old, new in diff:
        kind, _, name = key.partition(":")
        if kind == "overall":
            lines.insert(1, line(f"Overall: {old or '-'} → {new or '-'}"))
        elif kind == "component":
            lines.append(line(f"{name} : {old or 'new'} → {new or 'gone'}"))
        else:
            source, _, title = name.partition(":")
            lines.append(line(f"Incident {title} ({source}): {old or 'new'} → {new or 'resolved'}"))
    return Doc(tuple(lines))
