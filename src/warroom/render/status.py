"""Status replies: Spy's components report, unresolved incidents, and stalking's changes."""

from __future__ import annotations

from warroom.core.doc import Doc, Line, line
from warroom.core.status import Health, Snapshot


def components(snapshot: Snapshot) -> list[Line]:
    lines: list[Line] = [
        line(f"Status: {snapshot.overall.value}"),
        line("*** Components Report ***"),
    ]
    if not snapshot.components:
        lines.append(line("No status sources are configured (`status.sources` in the config)."))
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
    if not snapshot.incidents:
        lines.append(line("No reported unresolved incidents."))
    for i in snapshot.incidents:
        lines.append(line(f"{i.name} ({i.status}, {i.source})"))
    return lines


def report(snapshot: Snapshot) -> Doc:
    return Doc(tuple(components(snapshot)))


def summary(snapshot: Snapshot, *, lead: Doc | None) -> Doc:
    head = lead.lines if lead else ()
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
